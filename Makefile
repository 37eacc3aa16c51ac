# ftpscope — every command a developer or CI needs. `make demo` and `make test`
# do all set-up on a fresh Debian machine (as root they install what is missing).

GO      ?= go
BIN     := bin/ftpscope
DEMO    ?= pcaps/lab/active-passive-v4/client.pcap
PKGS    := ./...
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: all build build-nocgo demo test vet fmt-check unit lab-ci pcaps bench fuzz clean deps

all: build

build:
	$(GO) build -o $(BIN) ./cmd/ftpscope

# File analysis must build and run without libpcap.
build-nocgo:
	CGO_ENABLED=0 $(GO) build -o bin/ftpscope-nocgo ./cmd/ftpscope

demo: build
	./$(BIN) -r $(DEMO)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)
	CGO_ENABLED=0 $(GO) vet $(PKGS)

unit:
	$(GO) test -count=1 $(PKGS)

test: fmt-check vet build-nocgo unit

# Regenerate a small part of the lab (one passing and one blocked scenario)
# in network namespaces and check ftpscope on the fresh captures (root only).
lab-ci: build
	bash pcaps/lab/run.sh --ci-subset --out $$(mktemp -d /tmp/ftpscope-lab.XXXXXX)

# Rebuild the whole committed corpus of lab captures (root, minutes).
pcaps:
	bash pcaps/lab/run.sh

clean:
	rm -rf bin
