package httpapi

import "testing"

// TestOptionNamesCoverEveryOption keeps decodeOptions' exact-name rule in step with the options a
// request may carry: every member of requestOptions, the embedded policy's included.
func TestOptionNamesCoverEveryOption(t *testing.T) {
	for _, n := range []string{"challenge", "domain", "jurisdictions", "schemes", "credentialTypes", "minAssurance",
		"requiredClaims", "requiredProofsBy", "holderBinding", "stripClaims"} {
		if !optionNames()[n] {
			t.Errorf("%q is not an option name: %v", n, optionNames())
		}
	}
	if len(optionNames()) != 10 {
		t.Errorf("option names %v, want the 10 of docs/openapi.yaml's VerifyOptions", optionNames())
	}
}
