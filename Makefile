# Everything runs against a real PostgreSQL: DATABASE_URL, or the project-local cluster under
# .devdb/ that the binary and the tests start themselves.
GO        ?= go
BIN       := bin/giveaway
# A count of inputs, not a duration: a worker reports only when its batch ends, and a duration's
# deadline that falls inside a batch fails the run with "context deadline exceeded".
FUZZTIME  ?= 200000x
export ADMIN_TOKEN  ?= dev-admin-token
export INGEST_TOKEN ?= dev-ingest-token
# axe-core checks every page the browser tests show (npm pack: the package's files, no install).
AXE_VERSION ?= 4.14.1
AXE_DIR     := .cache/axe-core-$(AXE_VERSION)
export AXE_JS ?= $(CURDIR)/$(AXE_DIR)/package/axe.min.js

.PHONY: build run banner test fuzz bench rehearsal vet generate db-stop clean axe

build:
	$(GO) build -o $(BIN) ./cmd/giveaway

run: build
	./$(BIN) migrate
	$(banner)
	./$(BIN) serve

# The banner tells a newcomer, once per make run, where to go and what to log in with. It names a
# token only when it is this Makefile's development default (origin "file"): one the operator set
# stays unprinted. A canned recipe, not a sub-make, which would see every token as set outside.
DEV_ADDR = $(or $(LISTEN_ADDR),:8080)
DEV_URL = $(or $(PUBLIC_BASE_URL),http://$(if $(filter :%,$(DEV_ADDR)),localhost)$(DEV_ADDR))
define banner
@echo '--------------------------------------------------------------------------------'
@echo 'giveaway (development) at $(DEV_URL)/'
@$(if $(filter file,$(origin ADMIN_TOKEN)),echo '  ADMIN_TOKEN=$(ADMIN_TOKEN)   (admin API: Authorization: Bearer ...)',echo '  ADMIN_TOKEN: set by you, not shown')
@$(if $(filter file,$(origin INGEST_TOKEN)),echo '  INGEST_TOKEN=$(INGEST_TOKEN) (POST /api/v1/ingest/tweets)',echo '  INGEST_TOKEN: set by you, not shown')
@echo '  first organiser (in another shell; type the PIN, 6-12 digits):'
@echo '    ./$(BIN) admin create --name YOURNAME --pin -'
@echo '  then open $(DEV_URL)/ and log in with that name and PIN'
@echo '--------------------------------------------------------------------------------'
endef

banner:
	$(banner)

vet:
	@test -z "$$(gofmt -l cmd internal migrations)" || { gofmt -l cmd internal migrations; echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

test: vet axe
	$(GO) test -race -count=1 -timeout 25m ./...
	$(MAKE) fuzz

axe: $(AXE_JS)

$(AXE_JS):
	mkdir -p $(AXE_DIR)
	cd $(AXE_DIR) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz
	test -s $@

fuzz:
	$(GO) test ./internal/tweet -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/tweet -run '^$$' -fuzz '^FuzzExtractHashtags$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/esdoc -run '^$$' -fuzz '^FuzzBuildTweet$$' -fuzztime $(FUZZTIME)

bench:
	@$(GO) run ./cmd/bench

# The event day, compressed, against two real instances with faults; proofs on stdout, exit 1 when
# one fails. REHEARSAL_FLAGS e.g. --attendees 2000 --minutes 60 (see go run ./cmd/rehearsal --help).
REHEARSAL_FLAGS ?=
rehearsal:
	@$(GO) run ./cmd/rehearsal $(REHEARSAL_FLAGS)

# Regenerates internal/store and internal/report/reportdb from the .sql files sqlc.yaml names (needs sqlc:
# go install github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1).
generate:
	sqlc generate

db-stop:
	$(GO) run ./cmd/giveaway devdb stop

clean:
	rm -rf bin
