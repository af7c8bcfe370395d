package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/idport/idport/trustregistry"
)

// Layout of the trust graph (SVG user units).
const (
	graphNodeW      = 230
	graphNodeH      = 30
	graphRowGap     = 10
	graphColJ       = 140
	graphColS       = 470
	graphColA       = 800
	graphTop        = 20
	graphMaxPerNode = 12 // authorities drawn per scheme
)

// graphNode is a box of the graph: a link to the object's page.
type graphNode struct {
	X, Y   int
	Label  string
	Title  string
	Href   string
	Class  string
	TextX  int
	TextY  int
	Status trustregistry.Status
}

// graphEdge is a line or curve between two nodes.
type graphEdge struct {
	Path  string
	Class string
	Title string
	Href  string
}

type graphData struct {
	Width, Height int
	Nodes         []graphNode
	Edges         []graphEdge
	Capped        bool
}

// buildGraph lays out jurisdictions -> schemes -> authorities in three columns; recognitions
// are curves between schemes (foreign to local), agreements curves between their parties.
// Status (now, as known at asOf) picks the class, hence the colour and the dash.
func buildGraph(st *trustregistry.State, now time.Time, asOf uint64, q string) graphData {
	g := graphData{Width: graphColA + graphNodeW + 40}
	pos := map[string][2]int{} // "kind/id" -> centre-left anchor
	byJur := map[string][]string{}
	for _, id := range st.IDs(trustregistry.KindScheme) {
		j := st.Schemes[id].Jurisdiction
		byJur[j] = append(byJur[j], id)
	}
	byScheme := map[string][]string{}
	for _, id := range st.IDs(trustregistry.KindAuthority) {
		s := st.Authorities[id].Scheme
		byScheme[s] = append(byScheme[s], id)
	}
	y := graphTop
	step := graphNodeH + graphRowGap
	node := func(kind trustregistry.Kind, id, label string, x, y int, status trustregistry.Status) {
		class := "node node-" + string(kind)
		if status != "" {
			class += " st-" + string(status)
		}
		title := fmt.Sprintf("%s %s: %s", kind, id, label)
		if status != "" {
			title += " (" + string(status) + ")"
		}
		g.Nodes = append(g.Nodes, graphNode{X: x, Y: y, Label: shorten(label, 30), Title: title,
			Href: Prefix + "/objects/" + plural(kind) + "/" + id + q, Class: class, TextX: x + 8, TextY: y + 20, Status: status})
		pos[string(kind)+"/"+id] = [2]int{x, y + graphNodeH/2}
	}
	status := func(tl []trustregistry.StatusChange) trustregistry.Status {
		if e, ok := trustregistry.StatusAt(tl, now, asOf); ok {
			return e.Status
		}
		return ""
	}
	for _, jid := range st.IDs(trustregistry.KindJurisdiction) {
		jy := y
		node(trustregistry.KindJurisdiction, jid, jid+" · "+st.Jurisdictions[jid].Name, graphColJ, jy, "")
		for _, sid := range byJur[jid] {
			sy := y
			node(trustregistry.KindScheme, sid, st.Schemes[sid].Name, graphColS, sy, "")
			g.Edges = append(g.Edges, graphEdge{Path: line(graphColJ+graphNodeW, jy+graphNodeH/2, graphColS, sy+graphNodeH/2), Class: "edge"})
			auths := byScheme[sid]
			if len(auths) > graphMaxPerNode {
				auths, g.Capped = auths[:graphMaxPerNode], true
			}
			for ai, aid := range auths {
				ay := sy + ai*step
				a := st.Authorities[aid]
				s := status(a.Statuses)
				node(trustregistry.KindAuthority, aid, a.LegalName, graphColA, ay, s)
				g.Edges = append(g.Edges, graphEdge{Path: line(graphColS+graphNodeW, sy+graphNodeH/2, graphColA, ay+graphNodeH/2), Class: "edge st-" + string(s)})
			}
			y = sy + max(1, len(auths))*step
		}
		if len(byJur[jid]) == 0 {
			y = jy + step
		}
		y += graphRowGap
	}
	for _, rid := range st.IDs(trustregistry.KindRecognition) {
		r := st.Recognitions[rid]
		from, ok1 := pos["scheme/"+r.ForeignScheme]
		to, ok2 := pos["scheme/"+r.LocalScheme]
		if !ok1 || !ok2 {
			continue
		}
		s := status(r.Statuses)
		x := graphColS + graphNodeW
		bulge := x + 60 + abs(to[1]-from[1])/6
		g.Edges = append(g.Edges, graphEdge{Path: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x, from[1], bulge, from[1], bulge, to[1], x, to[1]+4),
			Class: "rec st-" + string(s), Title: fmt.Sprintf("recognition %s: %s recognises %s (%s)", rid, r.LocalScheme, r.ForeignScheme, s),
			Href: Prefix + "/objects/recognitions/" + rid + q})
	}
	for _, aid := range st.IDs(trustregistry.KindAgreement) {
		a := st.Agreements[aid]
		for i := 0; i+1 < len(a.Parties); i++ {
			from, ok1 := pos["jurisdiction/"+a.Parties[i]]
			to, ok2 := pos["jurisdiction/"+a.Parties[i+1]]
			if !ok1 || !ok2 {
				continue
			}
			bulge := graphColJ - 50 - abs(to[1]-from[1])/8
			g.Edges = append(g.Edges, graphEdge{Path: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", graphColJ, from[1], bulge, from[1], bulge, to[1], graphColJ, to[1]),
				Class: "agr", Title: fmt.Sprintf("agreement %s: %s", aid, a.Title), Href: Prefix + "/objects/agreements/" + aid + q})
		}
	}
	g.Height = y + graphTop
	return g
}

func line(x1, y1, x2, y2 int) string { return fmt.Sprintf("M%d %d L%d %d", x1, y1, x2, y2) }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (c *Console) graphPage(w http.ResponseWriter, r *http.Request, q *request) {
	v := &view{Title: translator(q.lang).T("graph"), Nav: "graph"}
	st, err := c.stateAt(r, v)
	if err != nil {
		c.errorPage(w, r, q, err)
		return
	}
	suffix := ""
	if v.AsOf != "" {
		suffix = "?asof=" + escapeQuery(v.AsOf)
	}
	v.Data = buildGraph(st, c.cfg.Now(), v.AsOfVersion, strings.TrimSpace(suffix))
	c.render(w, r, q, http.StatusOK, "graph", v)
}
