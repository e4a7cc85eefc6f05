#!/usr/bin/env bash
# Installs Vigil on this host: the jar and docs under /opt/vigil, the `vigil` wrapper in
# /usr/local/bin, the systemd unit, and an example /etc/vigil/vigil.yml (mode 640, owner postgres)
# that is never overwritten. Run as root from a checkout with the jar built (mvn -q -DskipTests package).
# VIGIL_ROOT=/some/dir installs under that directory instead of / (for a dry run; no systemctl).
# VIGIL_JAVA=/path/to/bin/java runs the agent on that java (default /usr/bin/java; 17 or later).
set -euo pipefail
src="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
root="${VIGIL_ROOT:-}"
jar="$src/agent/target/vigil.jar"
java_bin="${VIGIL_JAVA:-/usr/bin/java}"
unit="$root/etc/systemd/system/vigil.service"
die() { echo "install.sh: $*" >&2; exit 1; }

[ -f "$jar" ] || die "$jar is missing; build it first: mvn -q -DskipTests package"
[ -n "$root" ] || [ "$(id -u)" -eq 0 ] || die "run as root (or set VIGIL_ROOT for a dry run)"
id postgres >/dev/null 2>&1 || die "the OS user 'postgres' is missing; install PostgreSQL first (it creates the user)"
[[ "$java_bin" == /* ]] || die "VIGIL_JAVA must be an absolute path (systemd needs one), not '$java_bin'"
[ -x "$java_bin" ] || die "no java at '$java_bin': apt-get install openjdk-17-jre-headless, or set VIGIL_JAVA to one"
"$java_bin" -jar "$jar" --version 2>/dev/null | grep -q '^vigil ' \
  || die "'$java_bin -jar $jar --version' failed: Vigil needs java 17 or later (apt-get install openjdk-17-jre-headless, or set VIGIL_JAVA)"

install -d -m 755 "$root/opt/vigil" "$root/opt/vigil/docs" "$root/usr/local/bin" "$root/etc/systemd/system"
install -m 644 "$jar" "$root/opt/vigil/vigil.jar.new"
mv -f "$root/opt/vigil/vigil.jar.new" "$root/opt/vigil/vigil.jar"   # a running agent keeps its open jar
install -m 644 "$src"/docs/*.md "$root/opt/vigil/docs/"
install -m 755 "$src/bin/vigil" "$root/usr/local/bin/vigil"
sed -i "s|\${VIGIL_JAVA:-java}|\${VIGIL_JAVA:-$java_bin}|" "$root/usr/local/bin/vigil"   # the agent's java
install -m 644 "$src/systemd/vigil.service" "$unit"
sed -i "s|^ExecStart=[^ ]*java |ExecStart=$java_bin |" "$unit"
# A flag this java does not know would stop the agent from starting: leave it out, and say so.
for flag in $(grep -o -e '-XX:TrimNativeHeapInterval=[0-9]*' "$unit"); do
  if ! "$java_bin" "$flag" -version >/dev/null 2>&1; then
    sed -i "s| $flag||" "$unit"
    echo "note: $java_bin does not know $flag (OpenJDK 17.0.9 and later do); the unit runs without it"
  fi
done

install -d -m 750 -o postgres -g postgres "$root/etc/vigil"
if [ -e "$root/etc/vigil/vigil.yml" ]; then
  echo "kept the existing $root/etc/vigil/vigil.yml"
else
  install -m 640 -o postgres -g postgres "$src/deploy/examples/node1.yml" "$root/etc/vigil/vigil.yml"
  echo "wrote an example $root/etc/vigil/vigil.yml: edit name, addresses and secrets before starting"
fi

# Class-data sharing archive: the agent starts in about half the time.
"$java_bin" -XX:ArchiveClassesAtExit="$root/opt/vigil/vigil.jsa" -jar "$root/opt/vigil/vigil.jar" warmup >/dev/null 2>&1 \
  || echo "note: no class-data sharing archive (the agent starts without it)"

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  echo "installed. Next: edit /etc/vigil/vigil.yml, then: systemctl enable --now vigil"
else
  echo "installed under ${root:-/} (systemd not running here: no daemon-reload)"
fi
