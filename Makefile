# Everything runs against a real PostgreSQL: DATABASE_URL, or the project-local cluster under
# .devdb/ that the binary and the tests start themselves.
GO        ?= go
BIN       := bin/giveaway
FUZZTIME  ?= 10s
export ADMIN_TOKEN  ?= dev-admin-token
export INGEST_TOKEN ?= dev-ingest-token

.PHONY: build run test fuzz bench vet generate db-stop clean

build:
	$(GO) build -o $(BIN) ./cmd/giveaway

run: build
	./$(BIN) migrate
	./$(BIN) serve

vet:
	@test -z "$$(gofmt -l cmd internal migrations)" || { gofmt -l cmd internal migrations; echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

test: vet
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz

fuzz:
	$(GO) test ./internal/tweet -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/tweet -run '^$$' -fuzz '^FuzzExtractHashtags$$' -fuzztime $(FUZZTIME)

bench:
	@$(GO) run ./cmd/bench

# Regenerates internal/store and internal/report/reportdb from the .sql files sqlc.yaml names (needs sqlc:
# go install github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1).
generate:
	sqlc generate

db-stop:
	$(GO) run ./cmd/giveaway devdb stop

clean:
	rm -rf bin
