#!/usr/bin/env bash
# CI step: builds the release image with `odooctl build`, or pushes it with
# `odooctl push`, tagged sha-<short commit> and latest. The push prints the
# digest (from odooctl's --json) as the step outputs digest, ref and tag, and
# in the job summary.
#   REGISTRY=ghcr.io IMAGE_OWNER=acme IMAGE_NAME=seisei-odoo19 \
#   infra/ci/image.sh build|push
# Environment: REGISTRY, IMAGE_OWNER, IMAGE_NAME (required: the repository is
# REGISTRY/IMAGE_OWNER/IMAGE_NAME, lowercased, as registries want it),
# ODOO_BASE (the base image; default the Dockerfile's odoo:19.0),
# BUILD_CONTEXT (default services/odoo19-central-addons), GITHUB_SHA (the
# commit; else the build context's git HEAD).
# shellcheck source=infra/ci/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if (($# != 1)) || [[ $1 != build && $1 != push ]]; then
	ci_die "usage: image.sh build|push"
fi
for v in REGISTRY IMAGE_OWNER IMAGE_NAME; do
	[[ -n ${!v:-} ]] || ci_die "$v is empty"
done
repo=$REGISTRY/$IMAGE_OWNER/$IMAGE_NAME
repo=${repo,,}
context=${BUILD_CONTEXT:-$CI_ROOT/services/odoo19-central-addons}
command -v jq >/dev/null || ci_die "jq is missing (tools/install-deps.sh)"

# odooctl's configuration for the build: an environment "ci" naming the
# repository and the build context. Nothing secret goes in it.
conf=$(mktemp "${RUNNER_TEMP:-/tmp}/odooctl-ci.XXXXXX")
trap 'rm -f "$conf"' EXIT
cat >"$conf" <<CONF
[ci]
image_repository = $repo
db_name          = unused
build_context    = $context
odoo_base        = ${ODOO_BASE:-}
CONF
export ODOOCTL_CONFIG=$conf

if [[ $1 == build ]]; then
	out=$("$ODOOCTL" build ci --json)
	ci_output tag "$(jq -r .tag <<<"$out")"
	ci_output id "$(jq -r .id <<<"$out")"
	ci_summary "built \`$(jq -r .tag <<<"$out")\` ($(jq -r .id <<<"$out"))"
	exit 0
fi
out=$("$ODOOCTL" push ci --tag latest --json)
digest=$(jq -r .digest <<<"$out")
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] ||
	ci_die "odooctl push gave no digest: $out"
ci_output digest "$digest"
ci_output ref "$(jq -r .ref <<<"$out")"
ci_output tag "$(jq -r .tag <<<"$out")"
ci_summary "### Release image" "" \
	"| | |" "|---|---|" \
	"| digest | \`$digest\` |" \
	"| image | \`$(jq -r .ref <<<"$out")\` |" \
	"| tags | $(jq -r '.tags | map("`" + . + "`") | join(", ")' <<<"$out") |" \
	"" "Deploy it with \`odooctl deploy $digest production <operator>\`."
