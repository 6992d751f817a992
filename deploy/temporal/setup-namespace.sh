#!/bin/sh
# Runs once the Temporal frontend is up: creates the namespace Orderhub uses and registers the
# custom search attributes its order workflow sets. Whatever already exists is left alone, so
# it runs on each `docker compose up`.
#
#   TEMPORAL_ADDRESS              host:port of the frontend
#   TEMPORAL_NAMESPACE            namespace to create
#   TEMPORAL_NAMESPACE_RETENTION  how long closed workflows are kept (default 30d)
#   ORDER_SEARCH_ATTRIBUTES       space-separated Name=Type pairs, e.g. "OrderStatus=Keyword OrderLate=Bool"
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS (host:port of the Temporal frontend) is required}"
: "${TEMPORAL_NAMESPACE:?TEMPORAL_NAMESPACE is required}"
: "${ORDER_SEARCH_ATTRIBUTES:?ORDER_SEARCH_ATTRIBUTES (Name=Type pairs) is required}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-30d}"
ATTEMPTS="${SETUP_ATTEMPTS:-30}"
RETRY_DELAY="${SETUP_RETRY_DELAY:-2}"

host="${TEMPORAL_ADDRESS%:*}"
port="${TEMPORAL_ADDRESS##*:}"
# Dial the IPv4 address: the name can resolve to IPv6 first, where the server (bound to 0.0.0.0) is not listening.
ipv4="$(getent ahosts "$host" | awk '$2 == "STREAM" && $1 ~ /^[0-9.]+$/ { print $1; exit }')" || ipv4=""
address="${ipv4:-$host}:$port"

cli() {
  temporal --address "$address" "$@"
}

retry() {
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$ATTEMPTS" ]; then
      echo "Giving up after $attempt attempts: $*" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep "$RETRY_DELAY"
  done
}

ensure_namespace() {
  if cli operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
    echo "Namespace $TEMPORAL_NAMESPACE already exists"
    return 0
  fi
  cli operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$RETENTION"
}

ensure_search_attribute() { # name type
  # A namespace just created can take a few seconds to reach the frontend's cache: the list fails
  # until then, the create below fails too, and retry tries again.
  if cli operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" | awk '{ print $1 }' | grep -Fqx "$1"; then
    echo "Search attribute $1 already exists"
    return 0
  fi
  cli operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$1" --type "$2"
}

echo "Waiting for the Temporal frontend at $address"
retry cli operator cluster health
retry ensure_namespace

for pair in $ORDER_SEARCH_ATTRIBUTES; do
  name="${pair%%=*}"
  type="${pair#*=}"
  if [ -z "$name" ] || [ "$name" = "$pair" ] || [ -z "$type" ]; then
    echo "ORDER_SEARCH_ATTRIBUTES: expected Name=Type, got '$pair'" >&2
    exit 1
  fi
  retry ensure_search_attribute "$name" "$type"
done

echo "Namespace $TEMPORAL_NAMESPACE is ready with search attributes: $ORDER_SEARCH_ATTRIBUTES"
