import { constants, createPrivateKey, generateKeyPair, generateKeyPairSync, privateEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { createRequire } from 'node:module';
import type forge from 'node-forge';

// forge is ~900 KB of JavaScript: loaded when the first certificate is made or read, not when the
// sandbox starts (most runs never intercept anything).
let loaded: typeof forge | undefined;
const lib = (): typeof forge => (loaded ??= createRequire(import.meta.url)('node-forge') as typeof forge);

/** The file names of the CA in its directory; the key never leaves it. */
export const CA_CERT_FILE = 'payjs-sandbox-ca.pem';
export const CA_KEY_FILE = 'payjs-sandbox-ca-key.pem';
/** The CA followed by Node's Mozilla roots: for variables that replace the trust store rather than
 * add to it (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE), so that other hosts still verify. */
export const CA_BUNDLE_FILE = 'payjs-sandbox-ca-bundle.pem';

const DAY = 86_400_000;
// Validity is in real time, not the sandbox clock: clients check certificates against their own
// clock, and a sandbox advanced by days must not hand out certificates they refuse.
/** Root validity: long, since the point is to trust it once. */
const ROOT_DAYS = 3650;
/** Leaf validity: browsers and Apple's TLS stack refuse server certificates valid longer than
 * 398 days (CA/Browser Forum, since 2020-09-01); 397 keeps a day of margin. */
export const LEAF_DAYS = 397;

/** A certificate and its key, PEM-encoded, as node:tls takes them. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** An RSA key made by node:crypto (native, ~50 ms), in both forms: forge's, to put its public half
 * in a certificate, and node's, to sign with. */
interface RsaKey {
  forge: forge.pki.rsa.PrivateKey;
  node: KeyObject;
  pem: string;
}
const rsaKey = (pem?: string): RsaKey => {
  const node = pem ? createPrivateKey(pem) : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const text = node.export({ type: 'pkcs1', format: 'pem' }).toString();
  return { forge: lib().pki.privateKeyFromPem(text), node, pem: text };
};
/** DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256 (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');
/** Signs a certificate with node:crypto rather than forge's JavaScript RSA (~100× faster): forge
 * hashes the TBSCertificate, node pads the DigestInfo and does the private-key operation. */
function signWith(cert: forge.pki.Certificate, key: RsaKey): void {
  const signer = {
    sign: (md: forge.md.MessageDigest) =>
      privateEncrypt({ key: key.node, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, Buffer.from(md.digest().getBytes(), 'binary')])).toString('binary'),
  };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, lib().md.sha256.create());
}
const publicOf = (key: RsaKey) => lib().pki.setRsaPublicKey(key.forge.n, key.forge.e);
/** A positive serial number (the top bit clear), 16 random bytes. */
const serial = () => `0${randomBytes(16).toString('hex').slice(1)}`;
const isIp = (name: string) => /^[\d.]+$/.test(name) || name.includes(':');

/**
 * The sandbox's certificate authority: a root made once and kept in a directory (beside the db,
 * or `--ca-dir`), so that a client told to trust it once stays trusting across restarts; and the
 * leaf certificates it issues for the hosts it intercepts, made on first use and cached per host.
 */
export class CertificateAuthority {
  readonly certFile: string;
  readonly certPem: string;
  readonly bundleFile: string;
  private readonly caCert: forge.pki.Certificate;
  private readonly caKey: RsaKey;
  /** One key for every leaf of this process: a key per host would cost a keygen per handshake. */
  private leafKey?: RsaKey;
  private readonly leaves = new Map<string, { pair: KeyPair; context: SecureContext }>();

  private constructor(
    readonly dir: string,
    private readonly temporary: boolean,
  ) {
    this.certFile = join(dir, CA_CERT_FILE);
    this.bundleFile = join(dir, CA_BUNDLE_FILE);
    const keyFile = join(dir, CA_KEY_FILE);
    if (existsSync(this.certFile) && existsSync(keyFile)) {
      this.certPem = readFileSync(this.certFile, 'utf8');
      this.caCert = lib().pki.certificateFromPem(this.certPem);
      this.caKey = rsaKey(readFileSync(keyFile, 'utf8'));
      if (!existsSync(this.bundleFile)) this.writeBundle();
      return;
    }
    this.caKey = rsaKey();
    this.caCert = lib().pki.createCertificate();
    const cert = this.caCert;
    cert.publicKey = publicOf(this.caKey);
    cert.serialNumber = serial();
    cert.validity.notBefore = new Date(Date.now() - DAY);
    cert.validity.notAfter = new Date(Date.now() + ROOT_DAYS * DAY);
    const name = [
      { name: 'commonName', value: `payjs-sandbox local CA ${randomBytes(3).toString('hex')}` },
      { name: 'organizationName', value: 'payjs-sandbox (testing only)' },
    ];
    cert.setSubject(name);
    cert.setIssuer(name);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    signWith(cert, this.caKey);
    this.certPem = lib().pki.certificateToPem(cert);
    mkdirSync(dir, { recursive: true });
    // The key first, owner-only from its creation, then the certificate that names it.
    writeFileSync(keyFile, this.caKey.pem, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    writeFileSync(this.certFile, this.certPem);
    this.writeBundle();
  }

  private writeBundle(): void {
    writeFileSync(this.bundleFile, [this.certPem.trim(), ...rootCertificates].join('\n') + '\n');
  }

  /** The CA kept in `dir` (made there when absent). */
  static inDir(dir: string): CertificateAuthority {
    return new CertificateAuthority(dir, false);
  }

  /** A CA of its own in a fresh temporary directory, removed by `dispose()` (`--memory`). */
  static temporary(): CertificateAuthority {
    return new CertificateAuthority(mkdtempSync(join(tmpdir(), 'payjs-sandbox-ca-')), true);
  }

  /** Makes the leaves' key on the thread pool, so that the first handshake does not wait for an
   * RSA key generation on the event loop (~50–500 ms); `leaf()` makes it itself when not warmed. */
  async warm(): Promise<void> {
    if (this.leafKey) return;
    const node = await new Promise<KeyObject>((resolve, reject) => generateKeyPair('rsa', { modulusLength: 2048 }, (err, _pub, key) => (err ? reject(err) : resolve(key))));
    this.leafKey ??= rsaKey(node.export({ type: 'pkcs1', format: 'pem' }).toString());
  }

  /** A leaf certificate for these names (DNS names or IP addresses), signed by the CA; cached. */
  leaf(names: string[]): KeyPair {
    return this.entry(names).pair;
  }

  /** The TLS context serving `leaf(names)`. */
  context(names: string[]): SecureContext {
    return this.entry(names).context;
  }

  private entry(names: string[]) {
    const id = names.join(',');
    let entry = this.leaves.get(id);
    if (!entry) {
      const pair = this.issue(names);
      entry = { pair, context: createSecureContext(pair) };
      this.leaves.set(id, entry);
    }
    return entry;
  }

  private issue(names: string[]): KeyPair {
    this.leafKey ??= rsaKey();
    const cert = lib().pki.createCertificate();
    cert.publicKey = publicOf(this.leafKey);
    cert.serialNumber = serial();
    cert.validity.notBefore = new Date(Date.now() - DAY);
    cert.validity.notAfter = new Date(Date.now() + (LEAF_DAYS - 1) * DAY);
    cert.setSubject([{ name: 'commonName', value: names[0] }]);
    cert.setIssuer(this.caCert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((n) => (isIp(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    signWith(cert, this.caKey);
    return { cert: lib().pki.certificateToPem(cert) + this.certPem, key: this.leafKey.pem };
  }

  /** Removes a temporary CA's directory; a kept one stays. */
  dispose(): void {
    if (this.temporary) rmSync(this.dir, { recursive: true, force: true });
  }
}
