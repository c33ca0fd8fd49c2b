// Splitting and decoding mail: list-archive separators, RFC 2047 subjects, MIME parts,
// quoted-printable line mapping, mboxrd `>From ` escaping, and a bare diff with no headers.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeEncodedWords, splitMbox } from '../../src/series/mbox.js';
import { parsePatchMessage, parseSubject } from '../../src/series/patch.js';
import { ROOT } from '../support/cli.js';
import { qpLine } from './encode.js';

const PORTDRV = join(ROOT, 'corpora', 'series', 'portdrv', '0002-PCI-portdrv-Suppress-kernel-DMA-ownership-auto-claim.patch');

async function archiveMessage(): Promise<string> {
  // The shipped portdrv patch as a list archive keeps it: multipart, QP text part, a signature part.
  const patch = await readFile(PORTDRV, 'utf8');
  const body = patch.slice(patch.indexOf('\n\n') + 2).split('\n');
  return [
    'From someone@example.org Tue Nov 16 01:02:03 2021',
    'From: =?iso-8859-1?q?J=F6rg?= Example <examples@vfio-impact.invalid>',
    'Subject: [PATCH 2/2] PCI: portdrv: =?UTF-8?q?Suppress_kernel_DMA?=',
    ' =?UTF-8?q?_ownership_auto-claiming?=',
    'MIME-Version: 1.0',
    'Content-Type: multipart/signed; boundary="XyZ"; protocol="application/pgp-signature"',
    '',
    'This is a multi-part message in MIME format.',
    '--XyZ',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    ...body.map(qpLine),
    '--XyZ',
    'Content-Type: application/pgp-signature',
    '',
    '-----BEGIN PGP SIGNATURE-----',
    '+not a diff line, and not read',
    '-----END PGP SIGNATURE-----',
    '--XyZ--',
    '',
    'From someone@example.org Tue Nov 16 02:00:00 2021',
    'Subject: Re: [PATCH 2/2] PCI: portdrv: Suppress kernel DMA ownership auto-claiming',
    '',
    '> +\t.driver.suppress_auto_claim_dma_owner = true,',
    'Looks fine to me.',
    '',
  ].join('\n');
}

describe('splitMbox', () => {
  it('reads a list-archive message: separator, folded encoded-word subject, multipart QP body', async () => {
    const text = await archiveMessage();
    const messages = splitMbox(text, 'archive.mbox');
    expect(messages).toHaveLength(2);
    const [patch, reply] = messages;
    expect(patch?.envelope).toBe('someone@example.org');
    expect(patch?.subject).toBe('[PATCH 2/2] PCI: portdrv: Suppress kernel DMA ownership auto-claiming');
    expect(patch?.headers['from']).toBe('Jörg Example <examples@vfio-impact.invalid>');
    expect(patch?.body).not.toContain('+not a diff line, and not read');
    // Each decoded line remembers its raw line: the flag line's raw form is QP-encoded.
    const i = patch?.body.indexOf('+\t.driver.suppress_auto_claim_dma_owner = true,') ?? -1;
    expect(i).toBeGreaterThan(0);
    expect(text.split('\n')[(patch?.bodyLines[i] ?? 0) - 1]).toBe('+\t.driver.suppress_auto_claim_dma_owner =3D true,');
    const parsed = parsePatchMessage(patch!, 'archive.mbox');
    expect(parsed.files.map((f) => f.to)).toEqual(['drivers/pci/pcie/portdrv_pci.c']);
    expect(parsePatchMessage(reply!, 'archive.mbox').reply).toBe(true);
  });

  it('joins QP soft line breaks and keeps the first raw line number', () => {
    const long = `+${'x'.repeat(100)} = "=" ;`;
    const raw = ['From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001', 'Subject: [PATCH] t', 'Content-Transfer-Encoding: quoted-printable', '', qpLine(long), 'tail'];
    const [m] = splitMbox(raw.join('\r\n'), 'qp.mbox');
    expect(raw[4]?.split('\n').length).toBe(2);
    expect(m?.body).toEqual([long, 'tail']);
    expect(m?.bodyLines).toEqual([5, 7]);
  });

  it('a prose line starting with "From " does not split; mboxrd ">From " is unescaped', () => {
    const text = [
      'From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001',
      'Subject: [PATCH 1/1] x',
      '',
      'From the point of view of the port driver this is fine.',
      '>From here on, quoted.',
      '>>From two levels.',
      '',
    ].join('\n');
    const messages = splitMbox(text, 'rd.mbox');
    expect(messages).toHaveLength(1);
    expect(messages[0]?.body).toEqual(['From the point of view of the port driver this is fine.', 'From here on, quoted.', '>From two levels.']);
  });

  it('a bare diff with no headers is one message with an empty subject', () => {
    const text = 'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n';
    const messages = splitMbox(text, 'bare.diff');
    expect(messages).toHaveLength(1);
    expect(messages[0]?.subject).toBe('');
    expect(messages[0]?.bodyLines[0]).toBe(1);
  });

  it('decodes base64 encoded words and drops whitespace between adjacent words', () => {
    expect(decodeEncodedWords('=?utf-8?b?SsO2cmc=?= =?utf-8?q?_Example?=')).toBe('Jörg Example');
  });
});

describe('parseSubject', () => {
  it.each([
    ['[PATCH v8 04/11] PCI: portdrv: Set driver_managed_dma', 4, 11, 'PCI: portdrv: Set driver_managed_dma', false],
    ['[RESEND PATCH v8 06/11] PCI: pci_stub: Set driver_managed_dma', 6, 11, 'PCI: pci_stub: Set driver_managed_dma', false],
    ['[RFC PATCH 2/3] vfio: x', 2, 3, 'vfio: x', false],
    ['[iommu] [PATCH v2 1/5] iommu: y', 1, 5, 'iommu: y', false],
    ['[PATCH] PCI: z', null, null, 'PCI: z', false],
    ['Re: [PATCH 3/11] PCI: portdrv: w', 3, 11, 'PCI: portdrv: w', true],
  ])('%s', (subject, n, m, rest, reply) => {
    expect(parseSubject(subject)).toEqual({ number: n, total: m, subject: rest, reply });
  });

  it('strips control characters from the subject', () => {
    expect(parseSubject('[PATCH 1/1] evil \u001b[31mred\u001b[0m').subject).toBe('evil red');
  });
});
