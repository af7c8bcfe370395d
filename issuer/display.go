package issuer

// Display is a name for people in one language: how a wallet shows a credential type or a
// claim (OpenID4VCI credential_metadata.display). Locale is a BCP 47 tag ("en", "zh", "zh-Hant").
type Display struct {
	// Name is the display name.
	Name string `json:"name" yaml:"name"`
	// Locale is the language of Name and Description; empty means unspecified.
	Locale string `json:"locale,omitempty" yaml:"locale,omitempty"`
	// Description is an optional longer text.
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
}
