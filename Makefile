# Trackly's TUNE integration. `make run` starts the whole system locally,
# `make test` runs every test. Both need only Go.

GO            ?= go
FUNCTIONS     := PostbackFunction ClickFunction AttributionFunction OfferSyncFunction AdminFunction
BUILD_DIR     ?= build
GOFLAGS_BUILD := -tags lambda.norpc -trimpath -ldflags "-s -w -buildid="

# SAM's makefile builder sets ARTIFACTS_DIR; `make build` sets it per function.
ARTIFACTS_DIR ?= $(BUILD_DIR)/$*

.PHONY: run test bench build vet clean $(addprefix build-,$(FUNCTIONS))

## run: start the whole system on the embedded local cloud (HTTP API :3000, Lambda Invoke API :3001)
run:
	$(GO) run ./cmd/trackly local

## test: vet and run every test (unit, emulator integration, end to end)
test: vet
	$(GO) test -count=1 -timeout 15m ./...

## bench: run the benchmarks
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

vet:
	$(GO) vet ./...

## build: build every function's bootstrap for Lambda (linux/arm64) into build/<LogicalId>/
build: $(addprefix build-,$(FUNCTIONS))

# build-<LogicalId> is the target `sam build` runs for BuildMethod: makefile.
$(addprefix build-,$(FUNCTIONS)): build-%:
	@mkdir -p "$(ARTIFACTS_DIR)"
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_BUILD) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/$(call package,$*)

package = $(shell echo $(1) | sed 's/Function$$//' | tr '[:upper:]' '[:lower:]')

clean:
	rm -rf $(BUILD_DIR) .aws-sam
