# mcugen developer entry points.
#   make setup   install everything (apt + pip), build + verify the example, and run the digits
#                application (examples/digits_app: float model -> int8 -> firmware in QEMU)   <- the one setup command
#   make test    run the whole test suite                                         <- the one test command
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := build-essential cmake gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm clang lld ccache
EXAMPLE_OUT := build/examples/tiny_cnn

setup: deps example

deps:
	@if command -v apt-get >/dev/null 2>&1; then \
	    $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(APT_PACKAGES); \
	else \
	    echo "no apt-get: install a C compiler, make, cmake, the Arm GNU toolchain (arm-none-eabi-gcc + newlib) and qemu-system-arm yourself"; \
	fi
	$(PYTHON) -m pip install -q -e '.[test]'

example:
	mcugen build examples/tiny_cnn.tflite --board host -o $(EXAMPLE_OUT)
	$(MAKE) -C $(EXAMPLE_OUT) host
	mcugen verify examples/tiny_cnn.tflite --board host
	$(MAKE) -C examples/digits_app run BUILD=$(abspath build/examples/digits_app)

test:
	$(PYTHON) -m pytest -q -n 2 --dist loadfile --durations=40

.PHONY: setup deps example test
