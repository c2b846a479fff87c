"""aufruf: waiting tickets and call display for public offices, on Raspberry Pis."""

from setuptools import find_packages, setup

setup(
    name="aufruf",
    version="0.1.0",
    description="Waiting-ticket and call-display appliance for public offices (Raspberry Pi, MQTT)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.11",
    packages=find_packages(include=["aufruf", "aufruf.*", "desk", "desk.*", "kiosk", "kiosk.*",
                                    "display", "display.*", "aufrufcli", "aufrufcli.*",
                                    "web", "web.*"]),
    package_data={"aufruf": ["data/*", "data/lang/*.toml"], "display": ["assets/*"], "kiosk": ["assets/*"],
                  "web": ["static/*", "templates/*"]},
    include_package_data=True,
    install_requires=[
        "paho-mqtt>=2.1,<3",
        "sqlite-utils>=4.0,<5",
        "gpiozero>=2.0.1.post3,<3",
        "python-escpos[usb,serial]>=3.1,<4",
        "pygame-ce>=2.5,<3",
        "sdnotify>=0.3.2,<1",
        "Pillow>=10,<14",
        "python-bidi>=0.6,<1",
        "aiohttp>=3.12,<4",
        "aiohttp-sse>=3.0,<4",
    ],
    extras_require={
        "demo": ["amqtt>=0.11.1,<0.13"],
        # USB keypads at the desk controller; PyPI has evdev as source only (needs gcc and python3-dev)
        "keypad": ["evdev>=1.7,<3; sys_platform == 'linux'"],
        "test": ["pytest>=8,<10", "hypothesis>=6.100,<7", "amqtt>=0.11.1,<0.13",
                 "evdev>=1.7,<3; sys_platform == 'linux'", "selenium>=4.20,<5"],
    },
    entry_points={"console_scripts": ["aufruf=aufrufcli.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Operating System :: POSIX :: Linux",
        "Topic :: Office/Business",
    ],
)
