//go:build tools

// Package tools pins the Helm CLI that lints and renders deploy/helm/tenantry.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
