# One entry point for people and CI. `make up` and `make test` set up everything they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
TF := terraform/tf.sh
ENV ?= aws
ENV_DIR := terraform/environments/$(ENV)
OUTPUTS ?= .run/outputs-$(ENV).json
PYTEST_ARGS ?=

.PHONY: help venv up test unit integration soak lint lint-py lint-tf lint-tf-docs tf-docs tf-test package bench demo plan apply destroy outputs simulate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## create .venv and install the pinned dependencies

up: $(STAMP) package ## run the whole system on this machine (emulator, Terraform, API, GPU stand-in, power) until Ctrl-C
	$(PY) -m local.run

test: $(STAMP) package ## everything CI runs: lint, Terraform checks, unit and integration tests
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory tf-test
	$(PY) -m pytest $(PYTEST_ARGS)

unit: $(STAMP) ## unit tests only (no emulator)
	$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

integration: $(STAMP) package ## integration tests only (emulator + terraform apply)
	$(PY) -m pytest -m integration $(PYTEST_ARGS)

soak: $(STAMP) package ## long runs kept out of `make test`: the multi-region apply to the emulator and its destroy (~2 min)
	$(PY) -m pytest -m soak $(PYTEST_ARGS)

lint: lint-py lint-tf lint-tf-docs ## ruff, terraform fmt/validate, checkov, module READMEs up to date

lint-py: $(STAMP)
	$(VENV)/bin/ruff check .

lint-tf:
	terraform/lint.sh

lint-tf-docs: $(STAMP)
	$(PY) scripts/terraform_docs.py --check

tf-docs: $(STAMP) ## rewrite the Inputs/Outputs sections of the Terraform modules' READMEs
	$(PY) scripts/terraform_docs.py

tf-test: ## native `terraform test` with a mocked AWS provider
	terraform/test.sh

package: $(STAMP) ## build the Lambda zips under build/lambda
	$(PY) scripts/build_lambda_packages.py

bench: $(STAMP) package ## benchmarks: figures as ratios against a floor measured in the same run
	$(PY) -m scripts.bench

demo: $(STAMP) ## one job of each workflow against `make up`; results under out/
	scripts/demo.sh

simulate: $(STAMP) ## replay a job trace through the queue-empty alarm alone and through our power policy; PNG under out/
	$(PY) -m services.power_sim --png out/idle-cost.png

plan: package ## terraform plan for ENV (default aws)
	cd $(ENV_DIR) && ../../tf.sh init -input=false && ../../tf.sh plan -input=false

apply: package ## terraform apply for ENV, then write the outputs file the services read
	cd $(ENV_DIR) && ../../tf.sh init -input=false && ../../tf.sh apply -input=false
	$(MAKE) --no-print-directory outputs

outputs: ## write the outputs file (.run/outputs-ENV.json) for GPUJOBS_OUTPUTS_FILE
	@mkdir -p .run
	cd $(ENV_DIR) && ../../tf.sh output -json > $(CURDIR)/$(OUTPUTS)
	@echo "wrote $(OUTPUTS); export GPUJOBS_OUTPUTS_FILE=$(CURDIR)/$(OUTPUTS)"

destroy: ## terraform destroy for ENV
	cd $(ENV_DIR) && ../../tf.sh destroy -input=false

clean: ## remove build output and run state
	rm -rf build .run out
