# One entry point for people and CI. `make up` and `make test` set up everything they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
TF := terraform/tf.sh
# No default: every target that touches an account names it (ENV=aws, or ENV=local for the emulator).
ENV ?=
ENV_DIR := terraform/environments/$(ENV)
OUTPUTS ?= .run/outputs-$(ENV).json
PLAN := $(CURDIR)/.run/plan-$(ENV).tfplan
PYTEST_ARGS ?=

.PHONY: help venv up test unit integration soak lint lint-py lint-tf lint-tf-docs lint-ci tf-docs tf-test package bench demo env-check tf-init plan apply destroy outputs simulate clean

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

test: $(STAMP) package ## everything CI runs: lint, Terraform checks, unit tests (two processes: they share nothing) and integration tests
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory tf-test
	$(PY) -m pytest tests/unit -n 2 $(PYTEST_ARGS)
	$(PY) -m pytest --ignore=tests/unit $(PYTEST_ARGS)

unit: $(STAMP) ## unit tests only (no emulator)
	$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

integration: $(STAMP) package ## integration tests only (emulator + terraform apply)
	$(PY) -m pytest -m integration $(PYTEST_ARGS)

soak: $(STAMP) package ## long runs kept out of `make test`: the multi-region apply to the emulator and its destroy, a fleet pool apply (~4 min)
	$(PY) -m pytest -m soak $(PYTEST_ARGS)

lint: lint-py lint-tf lint-tf-docs lint-ci ## ruff, terraform fmt/validate, checkov, module READMEs up to date, the CI workflow

lint-py: $(STAMP)
	$(VENV)/bin/ruff check .

lint-tf:
	terraform/lint.sh

lint-ci: $(STAMP)
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/zizmor --offline --no-progress .github/workflows

lint-tf-docs: $(STAMP)
	$(PY) scripts/terraform_docs.py --check

tf-docs: $(STAMP) ## rewrite the Inputs/Outputs sections of the Terraform modules' READMEs
	$(PY) scripts/terraform_docs.py

tf-test: ## native `terraform test` with a mocked AWS provider
	terraform/test.sh

package: $(STAMP) ## build the Lambda zips under build/lambda and the GPU hosts' wheel under build/wheel
	$(PY) scripts/build_lambda_packages.py
	$(PY) scripts/build_wheel.py

bench: $(STAMP) package ## benchmarks: figures as ratios against a floor measured in the same run
	$(PY) -m scripts.bench

demo: $(STAMP) ## one job of each workflow against `make up`; results under out/
	scripts/demo.sh

simulate: $(STAMP) ## replay a job trace through the queue-empty alarm alone, our power policy, one GPU and a fleet (FLEET=N); PNG under out/
	$(PY) -m services.power_sim --png out/idle-cost.png $(if $(FLEET),--fleet $(FLEET))

env-check:
	@if [ -z "$(ENV)" ]; then echo "name the environment: ENV=aws (or ENV=local for the emulator)" >&2; exit 2; fi
	@if [ ! -d "$(ENV_DIR)" ]; then echo "no environment $(ENV_DIR)" >&2; exit 2; fi
	@if [ -f "$(ENV_DIR)/backend.tf" ] && [ ! -f "$(ENV_DIR)/backend.hcl" ]; then \
	  echo "$(ENV_DIR)/backend.hcl is missing: copy backend.hcl.example and name the state bucket" >&2; exit 2; fi

tf-init: env-check
	cd $(ENV_DIR) && ../../tf.sh init -input=false $(if $(wildcard $(ENV_DIR)/backend.hcl),-backend-config=backend.hcl)

plan: env-check package tf-init ## terraform plan for ENV, saved to .run/plan-ENV.tfplan for `make apply`
	@mkdir -p .run
	cd $(ENV_DIR) && ../../tf.sh plan -input=false -out=$(PLAN)

apply: env-check ## apply the plan `make plan` saved for ENV, then write the outputs file the services read
	@if [ ! -f "$(PLAN)" ]; then echo "no saved plan for ENV=$(ENV): run make plan ENV=$(ENV) first" >&2; exit 2; fi
	cd $(ENV_DIR) && ../../tf.sh apply -input=false $(PLAN)
	@rm -f $(PLAN)
	$(MAKE) --no-print-directory outputs

outputs: env-check ## write the outputs file (.run/outputs-ENV.json) for GPUJOBS_OUTPUTS_FILE
	@mkdir -p .run
	cd $(ENV_DIR) && ../../tf.sh output -json > $(CURDIR)/$(OUTPUTS)
	@echo "wrote $(OUTPUTS); export GPUJOBS_OUTPUTS_FILE=$(CURDIR)/$(OUTPUTS)"

destroy: env-check $(STAMP) tf-init ## stop the GPU instances, then terraform destroy for ENV, keeping the task table and results bucket unless DESTROY_DATA=yes
	$(PY) scripts/destroy_environment.py $(ENV_DIR) $(if $(filter yes,$(DESTROY_DATA)),--delete-data)

clean: ## remove build output and run state
	rm -rf build .run out
