# Tenantry — `make run` to start the console, `make test` to run the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-realcluster cluster-bins gateway-api-crds helm-bin bench scale-check lint fmt migrate demo venv check-python clean messages

# The local control plane (localcluster/): versions pinned in the Go wrapper modules, binaries
# cached outside the repository per version, so a second `make cluster-bins` does nothing.
GO ?= go
TENANTRY_CLUSTER_CACHE ?= $(HOME)/.cache/tenantry
export TENANTRY_CLUSTER_CACHE
KUBE_VERSION := $(shell awk '$$1 == "require" && $$2 == "k8s.io/kubernetes" {print $$3}' localcluster/kube/go.mod)
ETCD_VERSION := $(shell awk '$$1 == "require" && $$2 == "go.etcd.io/etcd/server/v3" {print $$3}' localcluster/etcd/go.mod)
KUBE_BIN := $(TENANTRY_CLUSTER_CACHE)/kube-$(KUBE_VERSION)
ETCD_BIN := $(TENANTRY_CLUSTER_CACHE)/etcd-$(ETCD_VERSION)
KUBE_CMDS := kube-apiserver kube-controller-manager kubectl
GO_BUILD := $(GO) build -trimpath
# `go build` leaves the version at v0.0.0-master; stamp it as Kubernetes' own build does, so
# /version, kubectl's skew check and the console's cluster page show the real release.
KUBE_MINOR := $(word 2,$(subst ., ,$(KUBE_VERSION)))
KUBE_LDFLAGS := -s -w $(foreach pkg,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(pkg).gitVersion=$(KUBE_VERSION) -X $(pkg).gitMajor=1 -X $(pkg).gitMinor=$(KUBE_MINOR) \
	-X $(pkg).gitTreeState=clean)
# `make run CLUSTER=local` runs the console against the local control plane instead of the emulator.
CLUSTER ?= emulator

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
		echo "Tenantry needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) -V 2>&1)."; \
		echo "Install a newer Python and run: make run PYTHON=python3.11"; exit 1; }

$(VENV)/.installed: requirements.txt requirements-runtime.txt | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo

# Migrates, loads the demo data, then runs the web server, a Celery worker and Celery beat
# (and the embedded broker and Kubernetes emulator when none is configured) as one
# foreground command; Ctrl-C stops everything.
run: venv $(if $(filter local,$(CLUSTER)),cluster-bins gateway-api-crds)
	$(PY) manage.py devstack --host $(HOST) --port $(PORT) --cluster $(CLUSTER)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

# Only the tests against the real control plane; fails (never skips) when it cannot run.
test-realcluster: venv cluster-bins gateway-api-crds helm-bin
	REQUIRE_KUBE=1 $(PY) -m pytest -m realcluster tests/realcluster $(PYTEST_ARGS)

cluster-bins: $(addprefix $(KUBE_BIN)/,$(KUBE_CMDS)) $(ETCD_BIN)/etcd

$(addprefix $(KUBE_BIN)/,$(KUBE_CMDS)) &:
	cd localcluster/kube && $(GO_BUILD) -ldflags "$(KUBE_LDFLAGS)" -o $(KUBE_BIN)/ $(addprefix k8s.io/kubernetes/cmd/,$(KUBE_CMDS))

$(ETCD_BIN)/etcd:
	cd localcluster/etcd && $(GO_BUILD) -ldflags "-s -w" -o $@ go.etcd.io/etcd/server/v3

# The Gateway API CRDs the realcluster tier installs: the release pinned in
# localcluster/gateway-api/go.mod, fetched with `go mod download` into a scratch directory of
# the cache (never the repository) and kept there per version; a second run does nothing.
gateway-api-crds: venv
	GO=$(GO) $(PY) -m localcluster.gatewayapi

# QUICK=1 runs the small sizes only; LARGE=1 adds the sizes too slow for the default run.
bench: venv
	$(PY) -m bench $(if $(QUICK),--quick) $(if $(LARGE),--large)

# helm for the chart tests, pinned in localcluster/helm/go.mod and built into a cache outside
# the repository keyed by version (as the control-plane binaries), so a second build is instant.
HELM_VERSION := $(shell awk '$$1 == "require" && $$2 == "helm.sh/helm/v3" {print $$3}' localcluster/helm/go.mod)
HELM_BIN := $(TENANTRY_CLUSTER_CACHE)/helm-$(HELM_VERSION)/helm

helm-bin: $(HELM_BIN)

$(HELM_BIN):
	cd localcluster/helm && $(GO_BUILD) \
		-ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION)" \
		-o $@ helm.sh/helm/v3/cmd/helm

# Several processes (gunicorn x2, 2 Celery workers, 2 beats) against PostgreSQL and Redis:
# load, provisioning and billing with a worker killed half way (bench/scale_check.py).
scale-check: venv
	$(PY) -m bench.scale_check $(SCALE_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/hadolint Dockerfile

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refreshes the zh_Hans catalog from the code and compiles it (needs gettext: apt-get install
# gettext). The compiled .mo is committed, so running the console needs no gettext.
messages: venv
	$(PY) manage.py makemessages
	$(PY) manage.py compilemessages -l zh_Hans

clean:
	rm -rf var/ .pytest_cache
