"""The ticket kiosk: buttons, thermal printer, status LED."""
