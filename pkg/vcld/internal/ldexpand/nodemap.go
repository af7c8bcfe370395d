// Copyright 2015-2017 Piprate Limited
// Copyright 2026 the idport authors
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package ldexpand

import (
	"errors"
	"sort"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// Node is a node of a node map: its identifier, its types and its other
// properties, each with its values (node references {"@id": id}, value
// objects and list objects) in the order json-gold's node map holds them.
type Node struct {
	ID    string
	Types []string
	Props map[string][]any
	index any
}

// Graph is the nodes of one graph, by identifier.
type Graph map[string]*Node

// NodeMap is json-gold's GenerateNodeMap (ld/api_generate_node_map.go) of
// an expanded document into typed nodes, with the same blank node labels
// (issued by issuer in the same order) and the same values: graphs by name
// ("@default" and the identifiers of named graphs).
//
// It does not rewrite the expanded document (json-gold relabels blank node
// types in place), so documents with blank node types, and those with
// @reverse, @included, blank node properties or keywords json-gold would
// copy as properties, return ErrUnsupported: callers take json-gold's node
// map for those.
func NodeMap(expanded []any, issuer *ld.IdentifierIssuer) (_ map[string]Graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = ErrUnsupported // json-gold's own panic, reported by json-gold
		}
	}()
	g := nodeMapper{graphs: map[string]Graph{"@default": {}}, issuer: issuer}
	if _, err := g.generate(expanded, "@default", "", "", nil); err != nil {
		return nil, err
	}
	return g.graphs, nil
}

// errNodeMap is a document json-gold's node map refuses.
var errNodeMap = errors.New("ldexpand: node map")

type nodeMapper struct {
	graphs map[string]Graph
	issuer *ld.IdentifierIssuer
}

// list is json-gold's list object under construction.
type list struct{ items []any }

func (g *nodeMapper) generate(element any, activeGraph, activeSubject, activeProperty string, l *list) (*list, error) {
	if elements, isArray := element.([]any); isArray {
		for _, item := range elements {
			var err error
			if l, err = g.generate(item, activeGraph, activeSubject, activeProperty, l); err != nil {
				return nil, err
			}
		}
		return l, nil
	}
	elem, isMap := element.(map[string]any)
	if !isMap {
		return nil, errNodeMap
	}
	graph, found := g.graphs[activeGraph]
	if !found {
		graph = Graph{}
		g.graphs[activeGraph] = graph
	}
	subject := graph[activeSubject] // nil for the top: json-gold fails there

	if _, isValue := elem["@value"]; isValue {
		if t, ok := elem["@type"].(string); ok && strings.HasPrefix(t, "_:") {
			return nil, ErrUnsupported
		}
		if l != nil {
			l.items = append(l.items, element)
			return l, nil
		}
		if subject == nil {
			return nil, ErrUnsupported
		}
		subject.add(activeProperty, element)
		return l, nil
	}
	if items, isList := elem["@list"]; isList {
		inner := &list{items: []any{}}
		if _, err := g.generate(items, activeGraph, activeSubject, activeProperty, inner); err != nil {
			return nil, err
		}
		result := map[string]any{"@list": inner.items}
		if l != nil {
			l.items = append(l.items, result)
			return l, nil
		}
		if subject == nil {
			return nil, ErrUnsupported
		}
		subject.add(activeProperty, result)
		return l, nil
	}

	// A node object.
	var types []any
	if typeVal, hasType := elem["@type"]; hasType {
		types = ld.Arrayify(typeVal)
		for _, t := range types {
			if strings.HasPrefix(t.(string), "_:") {
				return nil, ErrUnsupported
			}
		}
	}
	for k := range elem {
		switch {
		case k == "@id" || k == "@type" || k == "@index" || k == "@graph":
		case k == "" || k[0] == '@' || strings.HasPrefix(k, "_:"):
			// @reverse, @included, other keys json-gold copies as
			// properties, blank node properties.
			return nil, ErrUnsupported
		}
	}
	var id string
	switch v := elem["@id"].(type) {
	case nil:
		id = g.issuer.GetId("")
	case string:
		id = v
		if strings.HasPrefix(v, "_:") {
			id = g.issuer.GetId(v)
		}
	default:
		return nil, ErrUnsupported
	}
	node, found := graph[id]
	if !found {
		node = &Node{ID: id, Props: map[string][]any{}}
		graph[id] = node
	}
	if activeProperty != "" {
		ref := map[string]any{"@id": id}
		if l != nil {
			l.items = append(l.items, ref)
		} else {
			if subject == nil {
				return nil, ErrUnsupported
			}
			subject.add(activeProperty, ref)
		}
	}
	for _, t := range types {
		if s := t.(string); !containsString(node.Types, s) {
			node.Types = append(node.Types, s)
		}
	}
	if idx, hasIndex := elem["@index"]; hasIndex {
		if node.index != nil && node.index != idx {
			return nil, errNodeMap
		}
		node.index = idx
	}
	if graphVal, hasGraph := elem["@graph"]; hasGraph {
		if _, err := g.generate(graphVal, id, "", "", nil); err != nil {
			return nil, err
		}
	}
	props := make([]string, 0, len(elem))
	for k := range elem {
		if k[0] != '@' {
			props = append(props, k)
		}
	}
	sort.Strings(props)
	for _, p := range props {
		if _, has := node.Props[p]; !has {
			node.Props[p] = []any{}
		}
		if _, err := g.generate(elem[p], activeGraph, id, p, nil); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// add is json-gold's AddValue(subject, property, value, true, false,
// false, false) of one value: appended unless an equal one is there.
func (n *Node) add(property string, value any) {
	for _, v := range n.Props[property] {
		if ld.CompareValues(value, v) {
			return
		}
	}
	n.Props[property] = append(n.Props[property], value)
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
