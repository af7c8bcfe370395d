package etsitl

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// Build renders l as a TS 119 612 (version 5) document, unsigned: Sign it next. Providers and
// services keep their order.
func Build(l *TrustedList) *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("tsl:TrustServiceStatusList")
	root.CreateAttr("xmlns:tsl", NSTSL)
	root.CreateAttr("Id", "tsl")
	root.CreateAttr("TSLTag", TSLTag)
	si := root.CreateElement("tsl:SchemeInformation")
	si.CreateElement("tsl:TSLVersionIdentifier").SetText("5")
	si.CreateElement("tsl:TSLSequenceNumber").SetText(strconv.FormatUint(l.SequenceNumber, 10))
	si.CreateElement("tsl:TSLType").SetText("http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric")
	multiName(si.CreateElement("tsl:SchemeOperatorName"), l.Operator)
	si.CreateElement("tsl:SchemeTerritory").SetText(l.Territory)
	si.CreateElement("tsl:ListIssueDateTime").SetText(l.IssuedAt.UTC().Format(time.RFC3339))
	nu := si.CreateElement("tsl:NextUpdate")
	if !l.NextUpdate.IsZero() {
		nu.CreateElement("tsl:dateTime").SetText(l.NextUpdate.UTC().Format(time.RFC3339))
	}
	if len(l.Providers) > 0 {
		list := root.CreateElement("tsl:TrustServiceProviderList")
		for _, p := range l.Providers {
			tsp := list.CreateElement("tsl:TrustServiceProvider")
			multiName(tsp.CreateElement("tsl:TSPInformation").CreateElement("tsl:TSPName"), p.Name)
			svcs := tsp.CreateElement("tsl:TSPServices")
			for _, s := range p.Services {
				buildService(svcs.CreateElement("tsl:TSPService").CreateElement("tsl:ServiceInformation"), s, l.IssuedAt)
			}
		}
	}
	return doc
}

func buildService(si *etree.Element, s Service, at time.Time) {
	si.CreateElement("tsl:ServiceTypeIdentifier").SetText(s.Type)
	multiName(si.CreateElement("tsl:ServiceName"), s.Name)
	sdi := si.CreateElement("tsl:ServiceDigitalIdentity")
	for _, c := range s.Certificates {
		sdi.CreateElement("tsl:DigitalId").CreateElement("tsl:X509Certificate").SetText(base64.StdEncoding.EncodeToString(c.Raw))
	}
	for _, o := range s.Others {
		v := sdi.CreateElement("tsl:DigitalId").CreateElement("tsl:Other").CreateElement("idport:" + o.Kind)
		v.CreateAttr("xmlns:idport", NSIdport)
		v.SetText(o.Value)
	}
	si.CreateElement("tsl:ServiceStatus").SetText(s.Status)
	si.CreateElement("tsl:StatusStartingTime").SetText(at.UTC().Format(time.RFC3339))
}

func multiName(el *etree.Element, name string) {
	n := el.CreateElement("tsl:Name")
	n.CreateAttr("xml:lang", "en")
	n.SetText(name)
}
