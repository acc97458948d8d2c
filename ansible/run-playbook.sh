#!/usr/bin/env bash
# Run by the AnsibleRun component's Command (pulumi-command, local), from the project
# directory. Everything comes from the environment, never argv:
#   DOCKYARD_INVENTORY     inventory (INI) text
#   DOCKYARD_HOST_<n>      for n = 1, 2, ...: a host's inventory name, with its files
#     DOCKYARD_HOST_<n>_AGENT_YML  its Flocker agent.yml (secret)
#     DOCKYARD_HOST_<n>_TLS_CA     the engine's CA certificate
#     DOCKYARD_HOST_<n>_TLS_CERT   its engine's server certificate
#     DOCKYARD_HOST_<n>_TLS_KEY    its engine's server key (secret)
#   DOCKYARD_PLAYBOOK      playbook path
#   DOCKYARD_PRIVATE_KEY   SSH private key path (sshPrivateKeyPath), or instead
#   DOCKYARD_PRIVATE_KEY_TEXT  the key itself (secret: generated, or sshPrivateKey)
#   DOCKYARD_KNOWN_HOSTS   per-stack known_hosts file (host keys accepted on first use)
#   DOCKYARD_EXTRA_VARS    JSON object of extra variables (optional)
#   DOCKYARD_SSM           1: the inventory reaches the hosts through AWS Session Manager
#                          (ansible_host is the instance id, ansible_ssh_extra_args holds
#                          the ProxyCommand `aws ssm start-session`); the AWS CLI is needed
# The files are written to a private temp directory (0700, files 0600) and removed
# when the run ends, however it ends; SIGTERM and SIGINT are passed on to
# ansible-playbook (and its workers), and the files are still removed.
set -Eeuo pipefail

log() { printf 'dockyard-ansible: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

for var in DOCKYARD_INVENTORY DOCKYARD_HOST_1 DOCKYARD_PLAYBOOK DOCKYARD_KNOWN_HOSTS; do
  [[ -n "${!var:-}" ]] || die "$var is not set (this script is run by dockyard's AnsibleRun component)"
done
[[ -n "${DOCKYARD_PRIVATE_KEY:-}${DOCKYARD_PRIVATE_KEY_TEXT:-}" ]] \
  || die "DOCKYARD_PRIVATE_KEY or DOCKYARD_PRIVATE_KEY_TEXT must be set (this script is run by dockyard's AnsibleRun component)"

key=${DOCKYARD_PRIVATE_KEY:-}
key=${key/#\~/$HOME}
known_hosts=${DOCKYARD_KNOWN_HOSTS/#\~/$HOME}
[[ -f "$DOCKYARD_PLAYBOOK" ]] || die "playbook $DOCKYARD_PLAYBOOK does not exist"
if [[ -z "${DOCKYARD_PRIVATE_KEY_TEXT:-}" && ! ( -f "$key" && -r "$key" ) ]]; then
  die "dockyard:sshPrivateKeyPath: $key does not exist or is not readable on this machine. Fix: copy the key here, or give it as secret config for runs from CI (pulumi config rm sshPrivateKeyPath; pulumi config set --secret sshPrivateKey < KEYFILE)"
fi

# Use the project's virtualenv when ansible-playbook is not on PATH already.
if ! command -v ansible-playbook >/dev/null 2>&1 && [[ -x .venv/bin/ansible-playbook ]]; then
  PATH="$PWD/.venv/bin:$PATH"
fi
command -v ansible-playbook >/dev/null 2>&1 || die "ansible-playbook not found: run make venv"
if [[ "${DOCKYARD_SSM:-}" == 1 ]] && ! command -v aws >/dev/null 2>&1; then
  die "dockyard:ssm is true, so Ansible connects through Session Manager (aws ssm start-session), but the AWS CLI (aws) is not on PATH. Fix: install the AWS CLI and its session-manager-plugin on this machine, or pulumi config set ssm false"
fi

umask 077
workdir=$(mktemp -d "${TMPDIR:-/tmp}/dockyard-ansible.XXXXXX")
# ssh's ControlPath must stay under ~100 bytes, which a long TMPDIR (macOS) breaks:
# /tmp, or DOCKYARD_SSH_CONTROL_BASE (a short directory of the caller's).
controldir=$(mktemp -d "${DOCKYARD_SSH_CONTROL_BASE:-/tmp}/dyssh.XXXXXX")
# shellcheck disable=SC2329  # run by the EXIT trap (shellcheck 0.11 misses it before `exit`)
cleanup() {
  # Stop the ssh ControlPersist masters now rather than leave them idling after the run.
  local socket pid tries
  local -a pids=()
  for socket in "$controldir"/*; do
    [[ -S "$socket" ]] || continue
    pid=$(ssh -o ControlPath="$socket" -O check dockyard 2>&1 | sed -n 's/.*(pid=\([0-9]*\)).*/\1/p') ||
      pid=
    ssh -o ControlPath="$socket" -O exit dockyard >/dev/null 2>&1 || true
    [[ -n "$pid" ]] && pids+=("$pid")
  done
  # `-O exit` only asks a master to go: wait (at most 5 s each) until it has.
  for pid in "${pids[@]}"; do
    tries=0
    while kill -0 "$pid" 2>/dev/null && ((tries++ < 50)); do sleep 0.1; done
  done
  rm -rf -- "$workdir" "$controldir"
}
trap cleanup EXIT

if [[ -n "${DOCKYARD_PRIVATE_KEY_TEXT:-}" ]]; then
  key="$workdir/id_ssh"
  printf '%s\n' "$DOCKYARD_PRIVATE_KEY_TEXT" >"$key"
  unset DOCKYARD_PRIVATE_KEY_TEXT  # ansible-playbook and ssh need only the file
fi
printf '%s' "$DOCKYARD_INVENTORY" >"$workdir/inventory"
printf '%s\n' "${DOCKYARD_EXTRA_VARS:-"{}"}" >"$workdir/extra-vars.json"
# Each host's files in hosts/<inventory name>/, which the roles read per host.
for ((n = 1; ; n++)); do
  var=DOCKYARD_HOST_$n
  [[ -n "${!var:-}" ]] || break
  name=${!var}
  [[ "$name" =~ ^[A-Za-z0-9._:-]+$ && "$name" != *..* ]] || die "$var is not a host name: $name"
  mkdir -p -- "$workdir/hosts/$name"
  for item in AGENT_YML:agent.yml TLS_CA:ca.pem TLS_CERT:server-cert.pem TLS_KEY:server-key.pem; do
    var=DOCKYARD_HOST_${n}_${item%%:*}
    [[ -n "${!var:-}" ]] || die "$var is not set"
    printf '%s' "${!var}" >"$workdir/hosts/$name/${item#*:}"
  done
done
mkdir -p -- "$(dirname -- "$known_hosts")"

export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-ansible/ansible.cfg}
export ANSIBLE_HOST_KEY_CHECKING=True
export ANSIBLE_SSH_COMMON_ARGS="-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$known_hosts"
export ANSIBLE_SSH_CONTROL_PATH_DIR="$controldir"
export ANSIBLE_LOCAL_TEMP="$workdir/tmp"

# ansible-playbook runs in its own process group (job control on while it starts), so
# a signal passed on reaches it and the workers and ssh clients it forks; this shell
# waits for them to end, then removes the files (EXIT trap).
playbook=""
# shellcheck disable=SC2329  # run by the TERM and INT traps
forward() {
  log "stopping ansible-playbook (SIG$1)"
  [[ -n "$playbook" ]] || exit "$2"
  kill -s "$1" -- "-$playbook" 2>/dev/null || true
}
trap 'forward TERM 143' TERM
trap 'forward INT 130' INT

files="$workdir/hosts/{{inventory_hostname}}"
log "running $DOCKYARD_PLAYBOOK"
set -m
ansible-playbook \
  --key-file "$key" \
  -i "$workdir/inventory" \
  "$DOCKYARD_PLAYBOOK" \
  --extra-vars "flocker_agent_yml_path=$files/agent.yml" \
  --extra-vars "docker_tls_ca_cert_src=$files/ca.pem" \
  --extra-vars "docker_tls_cert_src=$files/server-cert.pem" \
  --extra-vars "docker_tls_key_src=$files/server-key.pem" \
  --extra-vars "@$workdir/extra-vars.json" &
playbook=$!
set +m
# `wait` returns early when a trapped signal arrives: wait again until the playbook ends.
while :; do
  status=0
  wait "$playbook" || status=$?
  kill -0 "$playbook" 2>/dev/null || break
done
exit "$status"
