#!/bin/sh
# A Vigil (and Patroni) callback that posts role changes to a chat or paging webhook.
# In vigil.yml:
#   postgresql:
#     callbacks: {on_role_change: /usr/local/bin/on-role-change-webhook.sh}
# Vigil calls it as: on-role-change-webhook.sh ACTION ROLE SCOPE (e.g. on_role_change primary demo).
# The webhook address comes from a file readable by the agent's user, not from the command line:
#   /etc/vigil/webhook-url   e.g. https://hooks.slack.com/services/…  (Slack's incoming webhook format)
set -eu
action=${1:?action}; role=${2:?role}; scope=${3:?scope}
url_file=${VIGIL_WEBHOOK_URL_FILE:-/etc/vigil/webhook-url}
[ -r "$url_file" ] || { echo "no webhook: $url_file is missing or unreadable" >&2; exit 1; }
text="PostgreSQL cluster ${scope}: $(hostname) is now ${role} (${action})"
# --max-time keeps a dead webhook from holding the callback slot; Vigil kills it at callback_timeout anyway
curl --silent --show-error --fail --max-time 10 -H 'Content-Type: application/json' \
     --data "{\"text\": \"${text}\"}" "$(cat "$url_file")"
echo "posted: ${text}"
