// Signs an (unsigned) ETSI TS 119 612 trusted list with xml-crypto in the XAdES baseline B
// shape: RSA-SHA256, one enveloped reference to the whole list, one to the
// xades:SignedProperties (signing time, SigningCertificateV2) in a ds:Object, the certificate
// in KeyInfo. stdin: {"xml", "key_pem", "cert_pem", "cert_sha256_b64", "signing_time"};
// stdout: {"xml": "..."}
import { SignedXml } from "xml-crypto";

const input = JSON.parse(await new Promise((r) => { let s = ""; process.stdin.on("data", (d) => (s += d)); process.stdin.on("end", () => r(s)); }));
const DS = "http://www.w3.org/2000/09/xmldsig#";
const XADES = "http://uri.etsi.org/01903/v1.3.2#";
const sx = new SignedXml({
  privateKey: input.key_pem,
  publicCert: input.cert_pem,
  signatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  canonicalizationAlgorithm: "http://www.w3.org/2001/10/xml-exc-c14n#",
  idAttributes: ["Id"],
  objects: [{
    content:
      `<xades:QualifyingProperties xmlns:xades="${XADES}" Target="#xc-signature">` +
      `<xades:SignedProperties Id="xc-signed-properties"><xades:SignedSignatureProperties>` +
      `<xades:SigningTime>${input.signing_time}</xades:SigningTime>` +
      `<xades:SigningCertificateV2><xades:Cert><xades:CertDigest>` +
      `<ds:DigestMethod xmlns:ds="${DS}" Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>` +
      `<ds:DigestValue xmlns:ds="${DS}">${input.cert_sha256_b64}</ds:DigestValue>` +
      `</xades:CertDigest></xades:Cert></xades:SigningCertificateV2>` +
      `</xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties>`,
  }],
});
sx.addReference({
  xpath: "/*",
  isEmptyUri: true,
  transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
  digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
});
sx.addReference({
  xpath: "//*[local-name(.)='SignedProperties']",
  type: "http://uri.etsi.org/01903#SignedProperties",
  transforms: ["http://www.w3.org/2001/10/xml-exc-c14n#"],
  digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
});
sx.computeSignature(input.xml, { prefix: "ds", attrs: { Id: "xc-signature" }, location: { reference: "/*", action: "append" } });
process.stdout.write(JSON.stringify({ xml: sx.getSignedXml() }));
