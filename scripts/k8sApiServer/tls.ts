/**
 * The test server's own certificate authority, made fresh at every start: a CA, a serving
 * certificate for 127.0.0.1 / ::1 / localhost, and client certificates (CN = user, O = groups) the
 * way a kubeadm cluster issues them. Keys are ECDSA P-256 from node:crypto; the certificates are
 * built with @peculiar/x509, because node:crypto can read X.509 certificates but cannot sign them.
 */
// @peculiar/x509 resolves its ASN.1 and crypto providers through tsyringe, which needs this polyfill first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import type { PeerCertificate } from 'node:tls';
import * as x509 from '@peculiar/x509';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

export interface KeyPairPem {
  cert: string;
  key: string;
}

export interface CertificateAuthority {
  /** The CA certificate (PEM): clients trust it, the server verifies client certificates with it. */
  readonly caPem: string;
  readonly server: KeyPairPem;
  /** A client certificate for `user` in `groups` (subject CN and O), signed by this CA. */
  issueClient(user: string, groups: readonly string[]): Promise<KeyPairPem>;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function dn(cn: string, groups: readonly string[] = []): string {
  const escape = (v: string): string => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [...groups.map((g) => `O=${escape(g)}`), `CN=${escape(cn)}`].join(', ');
}

/** Creates a CA with a serving certificate for the loopback addresses. */
export async function createCertificateAuthority(name = 'dr-runbook-test-ca'): Promise<CertificateAuthority> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + 365 * DAY);
  const caKeys = await keyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: dn(name),
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const issue = async (subject: string, usage: string, extra: x509.Extension[]): Promise<KeyPairPem> => {
    const keys = await keyPair();
    const cert = await x509.X509CertificateGenerator.create({
      subject,
      issuer: ca.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      notBefore,
      notAfter,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        await x509.AuthorityKeyIdentifierExtension.create(ca, false),
        ...extra,
      ],
    });
    return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
  };
  const server = await issue(dn('kube-apiserver'), x509.ExtendedKeyUsage.serverAuth, [
    new x509.SubjectAlternativeNameExtension([
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
      { type: 'dns', value: 'localhost' },
    ]),
  ]);
  return {
    caPem: ca.toString('pem'),
    server,
    issueClient: (user, groups) => issue(dn(user, groups), x509.ExtendedKeyUsage.clientAuth, []),
  };
}

/** The user and groups a verified client certificate stands for (subject CN and O values). */
export function certificateUser(peer: PeerCertificate): { name: string; groups: string[] } | undefined {
  const subject = peer.subject as unknown as Record<string, string | string[] | undefined> | undefined;
  const cn = subject?.CN;
  if (typeof cn !== 'string' || cn === '') return undefined;
  const o = subject?.O;
  return { name: cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}
