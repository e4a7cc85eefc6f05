#!/usr/bin/env bash
# Installs what Vigil's tests and demo need and is missing: etcd, PostgreSQL 15, HAProxy, a JDK and
# Maven, Debian's patronictl, and the unprivileged 'postgres' OS user that runs Postgres and the agents.
# Needs root (apt-get, useradd); says what is missing otherwise.
set -euo pipefail

need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client)
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || need+=(postgresql-15)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client-15)
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v bc >/dev/null 2>&1 || need+=(bc)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
# Debian's patronictl: PatronictlIT runs it against a Vigil cluster (python3-etcd: its etcd client)
command -v patronictl >/dev/null 2>&1 || need+=(patroni python3-etcd)

if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${need[*]}; run this script as root, or: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's postgresql-common would create and start a default cluster; we run our own.
  mkdir -p /etc/postgresql-common
  if [ ! -f /etc/postgresql-common/createcluster.conf ] || ! grep -q '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
    echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! id postgres >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "the OS user 'postgres' is missing; create it as root: useradd --system --create-home postgres" >&2
    exit 1
  fi
  useradd --system --create-home --shell /bin/bash postgres
  echo "created OS user postgres"
fi
