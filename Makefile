# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := var/vendor

.PHONY: demo test install assets lint migrations-check pytest serve clean bench

demo: install assets
	$(BIN)/chanjiao demo

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

# Front-end packages from the npm registry, copied next to the app and served locally (no CDN at run time).
assets: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/@tabler/core/dist/css/tabler.min.css $(VENDOR)/
	cp node_modules/@tabler/core/dist/js/tabler.min.js $(VENDOR)/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	mkdir -p $(VENDOR)/fonts
	cp node_modules/@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf $(VENDOR)/fonts/
	cp node_modules/@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf $(VENDOR)/fonts/
	touch $@

test: install assets lint migrations-check pytest

lint:
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

migrations-check:
	$(BIN)/python manage.py makemigrations --check --dry-run

pytest:
	CHANJIAO_FAST_HASHER=1 $(BIN)/pytest -n 2 --dist loadfile

serve: install assets
	$(BIN)/chanjiao serve

bench: install assets
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) node_modules var
