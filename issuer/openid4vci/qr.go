package openid4vci

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/errs"
)

// QRPNG renders text (a deep link) as a QR code PNG about size pixels wide, with medium error
// correction.
func QRPNG(text string, size int) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, errs.Wrap(issuer.CodeInvalidRequest, "invalid request: the text does not fit a QR code", err)
	}
	b, err := q.PNG(size)
	if err != nil {
		return nil, errs.Wrap(issuer.CodeInvalidRequest, "invalid request: rendering the QR code", err)
	}
	return b, nil
}

// QRSVG renders text as a QR code in SVG: the library's module bitmap (quiet zone included),
// one path of unit squares in a viewBox scaled to the display size.
func QRSVG(text string) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, errs.Wrap(issuer.CodeInvalidRequest, "invalid request: the text does not fit a QR code", err)
	}
	bm := q.Bitmap()
	n := len(bm)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x := 0; x < len(row); x++ {
			if !row[x] {
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&sb, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run - 1
		}
	}
	sb.WriteString(`"/></svg>`)
	return []byte(sb.String()), nil
}
