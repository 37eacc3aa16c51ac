# ftpscope — every command a developer or CI needs. `make demo` and `make test`
# do all set-up on a fresh Debian machine (as root they install what is missing).

SHELL   := /bin/bash
GO      ?= go
BIN     := bin/ftpscope
DEMO    ?= pcaps/handmade/blocked-v4.pcap
PKGS    := ./...
# The VCS revision for --version when the toolchain does not stamp it
# (GOFLAGS=-buildvcs=false, a git worktree).
LDFLAGS := -X github.com/ftpscope/ftpscope/version.revision=$(shell git rev-parse HEAD 2>/dev/null)
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: all build build-nocgo demo test vet fmt-check unit lab-ci pcaps clean deps


all: build

deps:
	@if [ ! -e /usr/include/pcap/pcap.h ] && [ ! -e /usr/include/pcap.h ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing libpcap-dev (live capture)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcap-dev; \
	  else \
	    echo "libpcap headers missing and not root: building without live capture (file analysis works)"; \
	  fi; \
	fi

build: deps
	@if [ -e /usr/include/pcap/pcap.h ] || [ -e /usr/include/pcap.h ]; then \
	  echo "$(GO) build -o $(BIN) ./cmd/ftpscope"; $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ftpscope; \
	else \
	  echo "CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/ftpscope"; CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ftpscope; \
	fi

# File analysis must build and run without libpcap.
build-nocgo:
	CGO_ENABLED=0 $(GO) build -o bin/ftpscope-nocgo ./cmd/ftpscope

demo: build
	./$(BIN) -r $(DEMO)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: deps
	@if [ -e /usr/include/pcap/pcap.h ] || [ -e /usr/include/pcap.h ]; then $(GO) vet $(PKGS); fi
	CGO_ENABLED=0 $(GO) vet $(PKGS)
	GOOS=windows $(GO) vet $(PKGS)
	GOOS=darwin $(GO) vet $(PKGS)

unit: deps
	@if [ -e /usr/include/pcap/pcap.h ] || [ -e /usr/include/pcap.h ]; then \
	  $(GO) test -count=1 $(PKGS); else CGO_ENABLED=0 $(GO) test -count=1 $(PKGS); fi

test: fmt-check vet build-nocgo unit

# Regenerate a small part of the lab (one passing and one blocked scenario)
# in network namespaces and check ftpscope on the fresh captures (root only).
lab-ci: build
	@dir=$$(mktemp -d /tmp/ftpscope-lab.XXXXXX) && \
	bash pcaps/lab/run.sh --ci-subset --out $$dir && \
	FTPSCOPE_CORPUS=$$dir $(GO) test -count=1 ./pcaps/ -run TestCorpus -v 2>&1 | grep -E '^(=== RUN|--- |ok|FAIL|PASS)' ; \
	status=$${PIPESTATUS[0]}; rm -rf $$dir; exit $$status

# Rebuild the whole committed corpus of lab captures (root, minutes).
pcaps:
	bash pcaps/lab/run.sh

# The manual page, from the flag definitions (ftpscope --help-man), into
# bin/ftpscope.1: `man -l bin/ftpscope.1` reads it.
.PHONY: man
man:
	@mkdir -p bin
	$(GO) run -ldflags '$(LDFLAGS)' ./cmd/ftpscope --help-man > bin/ftpscope.1
	@echo "wrote bin/ftpscope.1 (man -l bin/ftpscope.1)"

clean:
	rm -rf bin

# Fuzzing: every `func FuzzXxx` in a _test.go file, found at run time, one
# after another. `make fuzz` runs each for FUZZTIME (default 10m); CI runs
# `make fuzz-short` (FUZZSHORT each, ~2 minutes in all). FUZZPARALLEL=1 keeps
# to one worker on a shared machine. -timeout=0: go test's default 10m
# timeout would otherwise end a 10m run as a failure. A finding writes its
# input under the package's testdata/fuzz/ and fails the run. Go 1.26's fuzz
# coordinator can also end a run with a bare "context deadline exceeded" and
# no input (go.dev/issue/75804, fixed in Go 1.27): that is reported and ignored.
# -fuzzminimizetime=10s: minimizing each new interesting input may otherwise
# take a minute, shown as "0/sec" (go.dev/issue/51484), out of FUZZTIME.
FUZZTIME  ?= 10m
FUZZSHORT ?= 8s

define run-fuzz
set -e; \
for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
  for t in $$(grep -h '^func Fuzz' $$pkg/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
    echo "== $$pkg $$t for $(1)"; \
    if out=$$($(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(1) -fuzzminimizetime=10s -timeout=0 $${FUZZPARALLEL:+-parallel=$$FUZZPARALLEL} $$pkg 2>&1); then \
      echo "$$out" | grep -E '^(ok|PASS)' | tail -1; continue; \
    fi; \
    echo "$$out" | tail -25; \
    if ! echo "$$out" | grep -q 'Failing input written' && echo "$$out" | tail -6 | grep -q 'context deadline exceeded'; then \
      echo "   (no failing input: go.dev/issue/75804, ignored)"; continue; \
    fi; \
    exit 1; \
  done; \
done
endef

.PHONY: fuzz fuzz-short hostile
fuzz:
	@$(call run-fuzz,$(FUZZTIME))

fuzz-short:
	@$(call run-fuzz,$(FUZZSHORT))

# The hostile-traffic tests at the issue's full sizes (a million SYN sources,
# 100k control connections, 100k PASV replies, a 10 MB line), with their
# peak-heap numbers; make test runs them at smaller sizes.
hostile:
	$(GO) test -count=1 -timeout=30m -run 'TestHostile' -v ./cmd/ftpscope ./capture -hostile-full

# Speed and scale (issues 11, 13 and 16): ftpscope against the raw read loop (cmd/rawread),
# tshark and hashing or writing the payload alone, on captures synthesized once into FTPSCOPE_BENCH_CACHE
# (default /var/tmp/ftpscope-bench, outside the repository): every ratio a
# median of interleaved pairs with its min-max, peak memory, compressed
# input, and the targets checked; the --workers 2 speed-up, and (as root)
# live throughput with 1 and 2 workers: the highest tcpreplay rate over a
# veth between two namespaces that ftpscope -i follows without drops
# (about 12 min on 2 quiet cores, the live part at most 4).
# BENCH_QUICK=1 runs a short subset; BENCH_STRICT=1 fails on a missed
# target (bench/run.sh says more).
.PHONY: bench bench-go
bench:
	bash bench/run.sh

# The Go benchmarks of the hot paths: frame decoding and the raw loop,
# control-line parsing, reassembly, the data-packet path and expectation
# matching, the whole pipeline on a synthesized capture.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./capture ./analysis/... ./reassembly ./cmd/ftpscope
