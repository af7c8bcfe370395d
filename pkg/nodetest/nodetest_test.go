package nodetest

import "testing"

func TestRunEchoesThroughInstalledPeers(t *testing.T) {
	var out struct {
		Echo map[string]int `json:"echo"`
		Jose string         `json:"jose"`
	}
	Run(t, "nodetest-echo.mjs", map[string]int{"n": 42}, &out)
	if out.Echo["n"] != 42 {
		t.Fatalf("echo = %v", out.Echo)
	}
	if out.Jose == "" {
		t.Fatal("jose peer is not installed")
	}
}

func TestRunReportsScriptFailure(t *testing.T) {
	if _, err := RunErr(t, "no-such-script.mjs", nil); err == nil {
		t.Fatal("a missing script must fail")
	}
}
