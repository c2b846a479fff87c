"""The ticket kiosk: buttons, a thermal printer and a status LED on the ticket Pi.

Pure logic (press rules, the request/retry book, the ticket layout) lives apart
from the thin adapters (gpiozero, python-escpos, the MQTT link), so the rules are
tested without hardware and the adapters with the libraries' own fakes.
"""
