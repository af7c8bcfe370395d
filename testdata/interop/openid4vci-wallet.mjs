// A wallet built on @openid4vc/openid4vci and @openid4vc/oauth2 (OpenWallet Foundation's
// oid4vc-ts) runs the pre-authorized code flow against idport's issuer.
// stdin: {"offer": "openid-credential-offer://?credential_offer_uri=...", "txCode": "123456", "alg": "EdDSA" | "ES256"}
// stdout: {"configurations": {id: {"format", "credentials": [...], "notified": true}}, "issuer": "..."}
import crypto from 'node:crypto';
import { Openid4vciClient, setGlobalConfig } from '@openid4vc/openid4vci';
import { clientAuthenticationNone } from '@openid4vc/oauth2';
import { importJWK, exportJWK, SignJWT } from 'jose';

const input = JSON.parse(await new Promise((resolve) => {
  let s = '';
  process.stdin.on('data', (d) => { s += d; });
  process.stdin.on('end', () => resolve(s));
}));

setGlobalConfig({ allowInsecureUrls: true }); // the issuer listens on plain HTTP loopback

const alg = input.alg || 'EdDSA';
const { publicKey, privateKey } = alg === 'EdDSA'
  ? crypto.generateKeyPairSync('ed25519')
  : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicJwk = await exportJWK(publicKey);

const callbacks = {
  fetch,
  hash: (data, a) => new Uint8Array(crypto.createHash(a.replace('-', '').toLowerCase()).update(data).digest()),
  generateRandom: (n) => new Uint8Array(crypto.randomBytes(n)),
  clientAuthentication: clientAuthenticationNone({ clientId: 'idport-interop-wallet' }),
  signJwt: async (signer, { header, payload }) => {
    if (signer.method !== 'jwk') throw new Error(`unexpected signer ${signer.method}`);
    const jwt = await new SignJWT(payload).setProtectedHeader(header).sign(privateKey);
    return { jwt, signerJwk: signer.publicJwk };
  },
};

const client = new Openid4vciClient({ callbacks });
const offer = await client.resolveCredentialOffer(input.offer);
const metadata = await client.resolveIssuerMetadata(offer.credential_issuer);
const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer, issuerMetadata: metadata, txCode: input.txCode,
});
const accessToken = accessTokenResponse.access_token;
const out = { issuer: offer.credential_issuer, version: metadata.originalDraftVersion, configurations: {} };
for (const id of offer.credential_configuration_ids) {
  const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata: metadata });
  const proofs = [];
  for (let i = 0; i < (input.batch || 1); i++) {
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata: metadata, credentialConfigurationId: id, nonce,
      signer: { method: 'jwk', alg, publicJwk },
    });
    proofs.push(jwt);
  }
  const res = await client.retrieveCredentials({
    issuerMetadata: metadata, accessToken, credentialConfigurationId: id, proofs: { jwt: proofs },
  });
  const cr = res.credentialResponse;
  await client.sendNotification({
    issuerMetadata: metadata, accessToken,
    notification: { notificationId: cr.notification_id, event: 'credential_accepted' },
  });
  out.configurations[id] = {
    format: metadata.credentialIssuer.credential_configurations_supported[id].format,
    credentials: cr.credentials.map((c) => c.credential),
    notified: true,
  };
}
out.holderJwk = publicJwk;
process.stdout.write(JSON.stringify(out));
