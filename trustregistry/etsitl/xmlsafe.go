package etsitl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/beevik/etree"
	"github.com/idport/idport/pkg/errs"
)

// Default limits of a trusted list.
const (
	// DefaultMaxBytes is the default size limit (10 MB; the EU's largest national lists are a
	// few MB).
	DefaultMaxBytes = 10 << 20
	// DefaultMaxDepth is the default element nesting limit (a list nests about 15 deep).
	DefaultMaxDepth = 64
)

// Limits bound what a list may cost before its signature is checked. Zero fields take the
// defaults.
type Limits struct {
	MaxBytes int64
	MaxDepth int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// ReadLimited reads r up to the size limit and refuses a longer input with ErrTooLarge
// without reading more than one byte past the limit.
func ReadLimited(r io.Reader, lim Limits) ([]byte, error) {
	lim = lim.withDefaults()
	b, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the trusted list: %w", err)
	}
	if int64(len(b)) > lim.MaxBytes {
		return nil, errs.Errorf(CodeTooLarge, "the trusted list is over the limit of %d bytes", lim.MaxBytes)
	}
	return b, nil
}

// parseSafe checks data against the limits and parses it: the size first, then one streaming
// pass that refuses any DOCTYPE (and with it every entity declaration, internal or external:
// nothing is ever expanded), processing instructions other than the XML declaration, and
// nesting deeper than the limit; only then the tree is built.
func parseSafe(data []byte, lim Limits) (*etree.Document, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, errs.Errorf(CodeTooLarge, "the trusted list of %d bytes is over the limit of %d bytes", len(data), lim.MaxBytes)
	}
	if err := scan(data, lim.MaxDepth); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, errs.Wrap(CodeMalformed, "the trusted list is not well-formed XML", err)
	}
	if doc.Root() == nil {
		return nil, errs.New(CodeMalformed, "the trusted list has no root element")
	}
	return doc, nil
}

func scan(data []byte, maxDepth int) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return errs.Wrap(CodeMalformed, "the trusted list is not well-formed XML", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return errs.New(CodeUnsafeXML, "the trusted list has a DOCTYPE or other declaration; entities are refused")
		case xml.ProcInst:
			if t.Target != "xml" {
				return errs.Errorf(CodeUnsafeXML, "the trusted list has a processing instruction %q", t.Target)
			}
		case xml.StartElement:
			depth++
			if depth > maxDepth {
				return errs.Errorf(CodeUnsafeXML, "the trusted list nests elements deeper than %d", maxDepth)
			}
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		return errs.New(CodeMalformed, "the trusted list is not well-formed XML (unclosed elements)")
	}
	return nil
}
