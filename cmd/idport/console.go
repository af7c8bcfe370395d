package main

import (
	"flag"
	"time"

	"github.com/idport/idport/trustregistry/console"
)

// consoleFlags configure the regulators' web console the registry serves under /console.
type consoleFlags struct {
	enabled        bool
	requirePasskey bool
	rpID, origins  string
	idle, absolute time.Duration
}

func (f *consoleFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.enabled, "console", true, "serve the regulators' web console under /console")
	fs.BoolVar(&f.requirePasskey, "console-require-passkey", false, "every console account must sign in with a passkey (registered at its first sign-in)")
	fs.StringVar(&f.rpID, "console-rp-id", "", "WebAuthn relying party id of the console (a domain); default: the host each request names")
	fs.StringVar(&f.origins, "console-origins", "", "comma-separated origins (https://registry.example) the console accepts forms and passkeys from; default: the request's own")
	fs.DurationVar(&f.idle, "console-idle-timeout", console.DefaultIdleTimeout, "console session idle timeout")
	fs.DurationVar(&f.absolute, "console-session-lifetime", console.DefaultAbsoluteTimeout, "console session absolute lifetime")
}

// config returns the console configuration, nil when the console is off.
func (f *consoleFlags) config() *console.Config {
	if !f.enabled {
		return nil
	}
	return &console.Config{RequirePasskey: f.requirePasskey, RPID: f.rpID, Origins: splitList(f.origins),
		IdleTimeout: f.idle, AbsoluteTimeout: f.absolute}
}
