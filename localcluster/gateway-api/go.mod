// Pins the Gateway API release whose CRDs (config/crd/standard in the module) the local
// control plane installs; `make gateway-api-crds` fetches the module outside the repository.
module tenantry.local/localcluster/gateway-api

go 1.25.0

require sigs.k8s.io/gateway-api v1.6.3
