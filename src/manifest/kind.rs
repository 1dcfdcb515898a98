//! The kinds of document meshsim reads, recognised by `apiVersion` and `kind` as the API server
//! does; anything else is listed as not simulated, never refused.

/// A kind of document meshsim translates, or one it lists as not simulated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `apps/v1` Deployment.
    Deployment,
    /// `apps/v1` `StatefulSet`: a Deployment, as far as traffic goes.
    StatefulSet,
    /// `v1` Service.
    Service,
    /// `autoscaling/v2` `HorizontalPodAutoscaler`.
    HorizontalPodAutoscaler,
    /// `networking.istio.io` `v1`, `v1beta1` or `v1alpha3`.
    VirtualService,
    DestinationRule,
    /// `security.istio.io` `v1` or `v1beta1`.
    AuthorizationPolicy,
    PeerAuthentication,
    /// `flagger.app/v1beta1` Canary.
    Canary,
    /// `policy.linkerd.io` HTTPRoute (or `gateway.networking.k8s.io` HTTPRoute under Linkerd).
    HttpRoute,
    /// `linkerd.io/v1alpha2` ServiceProfile.
    ServiceProfile,
    /// A `docker-compose.yml` (no `apiVersion`; recognised by its name or `services:`).
    Compose,
    /// Any other `apiVersion` and `kind`, as written.
    Other {
        api_version: String,
        kind: String,
    },
}

const ISTIO_NETWORKING: [&str; 3] = [
    "networking.istio.io/v1",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
];
const ISTIO_SECURITY: [&str; 2] = ["security.istio.io/v1", "security.istio.io/v1beta1"];

impl Kind {
    pub(crate) fn recognise(api_version: &str, kind: &str) -> Kind {
        let networking = ISTIO_NETWORKING.contains(&api_version);
        let security = ISTIO_SECURITY.contains(&api_version);
        match (api_version, kind) {
            ("apps/v1", "Deployment") => Kind::Deployment,
            ("apps/v1", "StatefulSet") => Kind::StatefulSet,
            ("v1", "Service") => Kind::Service,
            ("autoscaling/v2", "HorizontalPodAutoscaler") => Kind::HorizontalPodAutoscaler,
            (_, "VirtualService") if networking => Kind::VirtualService,
            (_, "DestinationRule") if networking => Kind::DestinationRule,
            (_, "AuthorizationPolicy") if security => Kind::AuthorizationPolicy,
            (_, "PeerAuthentication") if security => Kind::PeerAuthentication,
            ("flagger.app/v1beta1", "Canary") => Kind::Canary,
            (
                "policy.linkerd.io/v1beta1"
                | "policy.linkerd.io/v1beta2"
                | "policy.linkerd.io/v1beta3"
                | "gateway.networking.k8s.io/v1"
                | "gateway.networking.k8s.io/v1beta1",
                "HTTPRoute",
            ) => Kind::HttpRoute,
            ("linkerd.io/v1alpha2", "ServiceProfile") => Kind::ServiceProfile,
            _ => Kind::Other {
                api_version: api_version.to_owned(),
                kind: kind.to_owned(),
            },
        }
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::Service => "Service",
            Kind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
            Kind::VirtualService => "VirtualService",
            Kind::DestinationRule => "DestinationRule",
            Kind::AuthorizationPolicy => "AuthorizationPolicy",
            Kind::PeerAuthentication => "PeerAuthentication",
            Kind::Canary => "Canary",
            Kind::HttpRoute => "HTTPRoute",
            Kind::ServiceProfile => "ServiceProfile",
            Kind::Compose => "Compose",
            Kind::Other { kind, .. } => kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn recognises_by_api_version_and_kind() {
        assert_eq!(Kind::recognise("apps/v1", "Deployment"), Kind::Deployment);
        assert_eq!(
            Kind::recognise("networking.istio.io/v1alpha3", "VirtualService"),
            Kind::VirtualService
        );
        assert_eq!(
            Kind::recognise("networking.istio.io/v1", "DestinationRule"),
            Kind::DestinationRule
        );
        // The same kind under a group meshsim does not read is someone else's resource.
        assert!(matches!(
            Kind::recognise("example.com/v1", "VirtualService"),
            Kind::Other { .. }
        ));
        assert!(matches!(
            Kind::recognise("v1", "ServiceAccount"),
            Kind::Other { .. }
        ));
    }
}
