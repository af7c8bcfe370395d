// Verifies an ETSI TS 119 612 trusted list signed by idport with xml-crypto, against the
// pinned certificate (never the one in KeyInfo). xml-crypto ships no ECDSA signature method, so
// this script registers http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256 over node:crypto
// with the XMLDSig r||s encoding (RFC 4051); canonicalisation, transforms and reference
// digests are xml-crypto's own.
// stdin: {"xml": "...", "cert_pem": "..."}; stdout: {"valid": bool, "references": n, "error": "..."}
import { SignedXml } from "xml-crypto";
import { DOMParser } from "@xmldom/xmldom";
import crypto from "node:crypto";

class EcdsaSha256 {
  getSignature(signedInfo, privateKey) {
    return crypto.sign("sha256", Buffer.from(signedInfo), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64");
  }
  verifySignature(material, key, signatureValue) {
    return crypto.verify("sha256", Buffer.from(material), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(signatureValue, "base64"));
  }
  getAlgorithmName() { return "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"; }
}

const input = JSON.parse(await new Promise((r) => { let s = ""; process.stdin.on("data", (d) => (s += d)); process.stdin.on("end", () => r(s)); }));
const doc = new DOMParser().parseFromString(input.xml, "text/xml");
const sigs = doc.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature");
const out = { valid: false, references: 0 };
try {
  if (sigs.length !== 1) throw new Error(`expected one Signature, found ${sigs.length}`);
  const sx = new SignedXml({ publicCert: input.cert_pem, getCertFromKeyInfo: () => null, idAttributes: ["Id"] });
  sx.SignatureAlgorithms["http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"] = EcdsaSha256;
  sx.loadSignature(sigs[0]);
  out.valid = sx.checkSignature(input.xml);
  out.references = sx.getSignedReferences().length;
} catch (e) {
  out.error = String(e && e.message || e);
}
process.stdout.write(JSON.stringify(out));
