package httpapi

import (
	"math"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/pkg/jsontext"
)

// decodeOptions decodes the options member of a verify request under the request's own rules:
// names match exactly and a name given twice is refused (400 malformed_json), so that a gateway
// and the verifier cannot read two different narrowings from one request. encoding/json alone
// would take the last of two twins and fold a name's case (Unicode's too: "ſchemes" is
// "schemes" to it), so a member named like an option but not exactly is refused as well; other
// unknown members are ignored. The literal null is no options.
func decodeOptions(c *gin.Context, raw []byte, opts *requestOptions) error {
	return decodeExactly(c, raw, opts, optionNames())
}

// decodeExactly decodes raw, a JSON object, into v, a pointer to a struct whose JSON member
// names are names, under decodeOptions' rules.
func decodeExactly(c *gin.Context, raw []byte, v any, names map[string]bool) error {
	// The depth of the whole body is checked already: no limit of its own here.
	members, err := jsontext.Members(raw, math.MaxInt)
	if err != nil {
		return httpx.Errorf(http.StatusBadRequest, httpx.CodeMalformedJSON, "malformed options: %v", err)
	}
	for _, m := range members {
		if names[m.Name] {
			continue
		}
		for n := range names {
			if strings.EqualFold(n, m.Name) {
				return httpx.Errorf(http.StatusBadRequest, httpx.CodeMalformedJSON,
					"options member %q is not %q: option names match exactly", m.Name, n)
			}
		}
	}
	return httpx.UnmarshalJSON(c, raw, v)
}

// optionNames are the JSON names of requestOptions' members, embedded structs' included.
var optionNames = sync.OnceValue(func() map[string]bool { return jsonNames(reflect.TypeFor[requestOptions]()) })

// txOptionNames are the JSON names of txOptions' members.
var txOptionNames = sync.OnceValue(func() map[string]bool { return jsonNames(reflect.TypeFor[txOptions]()) })

// jsonNames are the JSON names of the members of struct type t, embedded structs' included.
func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-":
			case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
				walk(f.Type)
			case !f.IsExported():
			case name != "":
				names[name] = true
			default:
				names[f.Name] = true
			}
		}
	}
	walk(t)
	return names
}
