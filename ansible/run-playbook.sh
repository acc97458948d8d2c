#!/usr/bin/env bash
# Run by the AnsibleRun component's Command (pulumi-command, local), from the project
# directory. Everything comes from the environment, never argv:
#   DOCKYARD_INVENTORY     inventory (INI) text
#   DOCKYARD_AGENT_YML     Flocker agent.yml text (secret)
#   DOCKYARD_PLAYBOOK      playbook path
#   DOCKYARD_PRIVATE_KEY   SSH private key path (sshPrivateKeyPath), or instead
#   DOCKYARD_PRIVATE_KEY_TEXT  the key itself (secret: generated, or sshPrivateKey)
#   DOCKYARD_KNOWN_HOSTS   per-stack known_hosts file (host keys accepted on first use)
#   DOCKYARD_EXTRA_VARS    JSON object of extra variables (optional)
# The files are written to a private temp directory (0700, files 0600) and removed
# when the run ends, however it ends.
set -Eeuo pipefail

log() { printf 'dockyard-ansible: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

for var in DOCKYARD_INVENTORY DOCKYARD_AGENT_YML DOCKYARD_PLAYBOOK DOCKYARD_KNOWN_HOSTS; do
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

umask 077
workdir=$(mktemp -d "${TMPDIR:-/tmp}/dockyard-ansible.XXXXXX")
# ssh's ControlPath must stay under ~100 bytes, which a long TMPDIR (macOS) breaks.
controldir=$(mktemp -d /tmp/dyssh.XXXXXX)
cleanup() {
  # Stop the ssh ControlPersist masters now rather than leave them idling after the run.
  local socket
  for socket in "$controldir"/*; do
    [[ -S "$socket" ]] && { ssh -o ControlPath="$socket" -O exit dockyard >/dev/null 2>&1 || true; }
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
printf '%s' "$DOCKYARD_AGENT_YML" >"$workdir/agent.yml"
printf '%s\n' "${DOCKYARD_EXTRA_VARS:-"{}"}" >"$workdir/extra-vars.json"
mkdir -p -- "$(dirname -- "$known_hosts")"

export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-ansible/ansible.cfg}
export ANSIBLE_HOST_KEY_CHECKING=True
export ANSIBLE_SSH_COMMON_ARGS="-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$known_hosts"
export ANSIBLE_SSH_CONTROL_PATH_DIR="$controldir"
export ANSIBLE_LOCAL_TEMP="$workdir/tmp"

log "running $DOCKYARD_PLAYBOOK"
ansible-playbook \
  --key-file "$key" \
  -i "$workdir/inventory" \
  "$DOCKYARD_PLAYBOOK" \
  --extra-vars "flocker_agent_yml_path=$workdir/agent.yml" \
  --extra-vars "@$workdir/extra-vars.json"
