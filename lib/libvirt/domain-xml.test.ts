import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VmIntent } from '../model/types';
import { parseDomainXml, parseStatusXml, type LibvirtDomain } from './domain-xml';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/libvirt-9.0-qemu-7.2');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const dom = (inner: string, attrs = "type='kvm'"): string => `<domain ${attrs}><name>x</name>${inner}</domain>`;

const TOPO = { sockets: 2, dies: 1, cores: 2, threads: 1 };

/** The probe VMs: 4 vCPUs max, 2 online at boot, vCPU 0 -> pCPU 0, vCPU 1 -> pCPU 1, emulator on 0-1. */
const probeIntent: VmIntent = {
  source: 'libvirt',
  vcpupin: new Map([
    [0, [0]],
    [1, [1]],
  ]),
  vcpuDefault: null,
  emulatorpin: [0, 1],
  iothreadpin: new Map<number, readonly number[]>(),
  dedicated: false,
  memoryNodes: null,
  guestCells: [[0, 1, 2, 3]],
  vcpusched: new Map(),
};

describe('parseDomainXml', () => {
  it('reads the defined probe1.xml (no uuid, no id)', () => {
    expect(parseDomainXml(fixture('probe1.xml'))).toEqual({
      name: 'probe1',
      uuid: null,
      id: null,
      type: 'kvm',
      vcpuMax: 4,
      vcpuCurrent: 2,
      vcpuCpuset: null,
      intent: probeIntent,
      topology: { sockets: 2, dies: 1, cores: 2, threads: 1 },
      iothreads: 0,
      extraQmpSockets: [],
    } satisfies LibvirtDomain);
  });

  it('reads the live probe1 dumpxml before and after hot-plugging vCPU 2', () => {
    const before = parseDomainXml(fixture('probe1.dumpxml.xml'));
    expect(before).toMatchObject({ uuid: '2e3e9521-1ce8-4f73-aefa-04f25acf84ec', id: 1, vcpuMax: 4, vcpuCurrent: 2, topology: TOPO });
    expect(before.intent).toEqual(probeIntent);
    const after = parseDomainXml(fixture('probe1.after-hotplug.dumpxml.xml'));
    expect(after.vcpuCurrent).toBe(3);
    // the hot-plugged vCPU 2 has no <vcpupin>: it may run anywhere (virsh vcpupin shows 0-1)
    expect([...after.intent.vcpupin.keys()]).toEqual([0, 1]);
    expect(after.intent.vcpuDefault).toBeNull();
  });

  it('reads <vcpusched> into one intended policy per vCPU', () => {
    const d = parseDomainXml(
      dom(
        "<vcpu>4</vcpu><cputune><vcpupin vcpu='0' cpuset='0'/>" +
          "<vcpusched vcpus='0-2,^1' scheduler='fifo' priority='10'/><vcpusched vcpus='1' scheduler='batch'/></cputune>",
      ),
    );
    expect(d.intent.vcpusched).toEqual(
      new Map([
        [0, { policy: 'fifo', priority: 10 }],
        [1, { policy: 'batch', priority: 0 }],
        [2, { policy: 'fifo', priority: 10 }],
      ]),
    );
    expect(parseDomainXml(fixture('probe1.xml')).intent.vcpusched).toEqual(new Map());
  });

  it('reads the IOThread and its pin of probe2', () => {
    for (const f of ['probe2.xml', 'probe2.dumpxml.xml']) {
      const d = parseDomainXml(fixture(f));
      expect(d.iothreads).toBe(1);
      expect(d.intent.iothreadpin).toEqual(new Map([[1, [1]]]));
    }
  });

  it('finds the extra QMP socket of the TCG probe3', () => {
    for (const f of ['probe3-tcg.xml', 'probe3.dumpxml.xml']) {
      const d = parseDomainXml(fixture(f));
      expect(d.type).toBe('qemu');
      expect(d.extraQmpSockets).toEqual(['/run/qmp-extra/probe3-qmp2.sock']);
    }
    expect(parseDomainXml(fixture('probe3.dumpxml.xml')).vcpuCurrent).toBe(4); // no current=: all online
  });

  it('reads probe4 without <cputune> as no pins at all', () => {
    const d = parseDomainXml(fixture('probe4-nopin.xml'));
    expect(d.intent).toEqual({ ...probeIntent, vcpupin: new Map(), emulatorpin: null });
  });

  it('reads <vcpu cpuset>, <numatune>, several NUMA cells, single pins and an unusual qemu prefix', () => {
    const d = parseDomainXml(`
      <domain type='kvm' id='7' xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'>
        <name>big &amp; "odd" &#x263A;</name>
        <uuid>2E3E95211CE84F73AEFA04F25ACF84EC</uuid>
        <vcpu placement='static' cpuset='4-11,^6'>8</vcpu>
        <iothreadids><iothread id='1'/><iothread id='3'/></iothreadids>
        <cputune><vcpupin vcpu='7' cpuset='8'/><iothreadpin iothread='3' cpuset='2-3'/></cputune>
        <numatune><memory mode='strict' nodeset='1'/></numatune>
        <cpu><topology sockets='1' cores='4' threads='2'/>
          <numa><cell id='1' cpus='4-7' memory='1'/><cell id='0' cpus='0-3' memory='1'/><cell id='2' memory='1'/></numa>
        </cpu>
        <q:commandline><q:arg value='-qmp'/><q:arg value='unix:/run/a,,b.sock,server,wait=off'/></q:commandline>
      </domain>`);
    expect(d).toMatchObject({
      name: 'big & "odd" ☺',
      uuid: '2e3e9521-1ce8-4f73-aefa-04f25acf84ec',
      id: 7,
      vcpuMax: 8,
      vcpuCurrent: 8,
      vcpuCpuset: [4, 5, 7, 8, 9, 10, 11],
      topology: { sockets: 1, dies: 1, cores: 4, threads: 2 },
      iothreads: 2,
      extraQmpSockets: ['/run/a,b.sock'],
    });
    expect(d.intent).toEqual({
      source: 'libvirt',
      vcpupin: new Map([[7, [8]]]),
      vcpuDefault: [4, 5, 7, 8, 9, 10, 11],
      emulatorpin: [4, 5, 7, 8, 9, 10, 11], // no <emulatorpin>: libvirt uses <vcpu cpuset>
      iothreadpin: new Map([[3, [2, 3]]]),
      dedicated: false,
      memoryNodes: [1],
      guestCells: [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [],
      ],
      vcpusched: new Map(),
    });
  });

  it('defaults to one vCPU without <vcpu>, and numatune placement=auto has no nodes', () => {
    const d = parseDomainXml(`<domain type='kvm'><name>x</name><numatune><memory placement='auto'/></numatune></domain>`);
    expect(d).toMatchObject({ vcpuMax: 1, vcpuCurrent: 1, topology: null, uuid: null });
    expect(d.intent.memoryNodes).toBeNull();
    expect(d.intent.guestCells).toEqual([]);
  });

  describe('hostile or broken input', () => {
    it.each([
      ['not XML', 'hello', /not well-formed XML: .*line 1/],
      ['empty', '', /not well-formed XML/],
      ['unclosed', "<domain type='kvm'><name>x</domain>", /not well-formed XML: .*closing tag/],
      ['two roots', `${dom('')}${dom('')}`, /not well-formed XML: Multiple possible root nodes/],
      ['two empty roots', "<domain type='kvm'/><domain type='kvm'/>", /exactly one root element, found 2 \(<domain>, <domain>\)/],
      ['a status document', fixture('probe1.status.xml'), /got a <domstatus> document, use parseStatusXml/],
      ['another root', '<network/>', /root element is <network>, expected <domain>/],
      ['no name', "<domain type='kvm'/>", /<domain> at domain has no <name> child/],
      ['no type', '<domain><name>x</name></domain>', /has no type= attribute/],
      ['two names', dom('<name>y</name>'), /has 2 <name> children, expected at most one/],
      ['vcpu not a number', dom('<vcpu>four</vcpu>'), /domain\/vcpu is "four": expected a decimal integer/],
      ['vcpu zero', dom('<vcpu>0</vcpu>'), /domain\/vcpu is 0, must be at least 1/],
      ['vcpu huge', dom('<vcpu>99999999999999999999</vcpu>'), /expected a decimal integer/],
      ['current above max', dom("<vcpu current='5'>4</vcpu>"), /current=5 above the maximum 4/],
      ['bad cpuset', dom("<vcpu>2</vcpu><cputune><vcpupin vcpu='0' cpuset='0-'/></cputune>"), /domain\/cputune\/vcpupin\/@cpuset: invalid cpuset/],
      ['empty cpuset', dom("<vcpu>2</vcpu><cputune><emulatorpin cpuset=''/></cputune>"), /emulatorpin\/@cpuset "" selects no CPU/],
      ['pin beyond vcpus', dom("<vcpu>2</vcpu><cputune><vcpupin vcpu='2' cpuset='0'/></cputune>"), /pins vCPU 2 but the domain has only 2/],
      [
        'duplicate pin',
        dom("<vcpu>2</vcpu><cputune><vcpupin vcpu='1' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/></cputune>"),
        /vcpupin\[2\] pins vCPU 1 a second time/,
      ],
      ['pin without cpuset', dom("<vcpu>2</vcpu><cputune><vcpupin vcpu='1'/></cputune>"), /vcpupin has no cpuset= attribute/],
      ['bad uuid', dom('<uuid>not-a-uuid</uuid>'), /domain\/uuid is "not-a-uuid": not a UUID/],
      ['short uuid', dom('<uuid>1234</uuid>'), /32 hex digits/],
      ['cell ids with a gap', dom("<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0'/><cell id='2' cpus='1'/></numa></cpu>"), /NUMA cell ids must be 0..1/],
      ['cell cpus beyond vcpus', dom("<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0-2'/></numa></cpu>"), /exceeds the maximum 1/],
      ['vcpusched without priority', dom("<vcpu>2</vcpu><cputune><vcpusched vcpus='0' scheduler='rr'/></cputune>"), /vcpusched: scheduler rr needs a priority from 1 to 99/],
      ['vcpusched priority 0', dom("<vcpu>2</vcpu><cputune><vcpusched vcpus='0' scheduler='fifo' priority='0'/></cputune>"), /priority 0 is not from 1 to 99/],
      ['vcpusched unknown scheduler', dom("<vcpu>2</vcpu><cputune><vcpusched vcpus='0' scheduler='deadline'/></cputune>"), /scheduler "deadline" is not one of fifo, rr, batch, idle/],
      ['vcpusched beyond vcpus', dom("<vcpu>2</vcpu><cputune><vcpusched vcpus='0-2' scheduler='idle'/></cputune>"), /vcpusched\/@vcpus: .*exceeds the maximum 1/],
      [
        'vcpusched overlap',
        dom("<vcpu>2</vcpu><cputune><vcpusched vcpus='0-1' scheduler='idle'/><vcpusched vcpus='1' scheduler='batch'/></cputune>"),
        /sets the scheduler of vCPU 1 a second time/,
      ],
      ['-qmp without value', dom("<qemu:commandline><qemu:arg value='-qmp'/></qemu:commandline>", "type='kvm' xmlns:qemu='x'"), /<qemu:commandline>: QEMU option -qmp has no argument/],
      ['unknown entity', dom('<uuid>&foo;</uuid>'), /unsupported entity or stray "&" "&foo;" at domain\/uuid/],
      ['prototype pollution', dom('<__proto__/>'), /could not be parsed/],
    ])('rejects %s', (_what, xml, re) => {
      expect(() => parseDomainXml(xml)).toThrow(re);
    });

    it('refuses a DOCTYPE, so billion-laughs entities are never expanded', () => {
      const lol = `<?xml version="1.0"?>
        <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
        <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
        <domain type='kvm'><name>&lol3;</name></domain>`;
      expect(() => parseDomainXml(lol)).toThrow(/DOCTYPE declarations are refused/);
      // external entities too
      expect(() => parseDomainXml(`<!DOCTYPE d SYSTEM "file:///etc/passwd"><domain type='kvm'><name>x</name></domain>`)).toThrow(/DOCTYPE/);
    });

    it('does not decode entities inside CDATA', () => {
      expect(parseDomainXml(dom('').replace('<name>x</name>', '<name><![CDATA[a&amp;b]]></name>')).name).toBe('a&amp;b');
    });
  });
});

describe('parseStatusXml', () => {
  it('reads probe1 status: pid, monitor, vCPU threads and the live domain inside', () => {
    const s = parseStatusXml(fixture('probe1.status.xml'));
    expect(s).toMatchObject({
      state: 'running',
      reason: 'booted',
      pid: 7468,
      monitorPath: '/var/lib/libvirt/qemu/domain-1-probe1/monitor.sock',
      vcpuPids: [
        { index: 0, tid: 7474 },
        { index: 1, tid: 7475 },
      ],
    });
    expect(s.domain).toMatchObject({ name: 'probe1', id: 1, vcpuMax: 4, vcpuCurrent: 2, topology: TOPO });
    // guestCells come from <domain><cpu>, not from the <cpu> that <domstatus> carries too
    expect(s.domain.intent).toEqual(probeIntent);
  });

  it('after hot-plug lists 3 vCPU threads while vcpupin covers only vCPUs 0 and 1', () => {
    const s = parseStatusXml(fixture('probe1.after-hotplug.status.xml'));
    expect(s.vcpuPids).toEqual([
      { index: 0, tid: 7474 },
      { index: 1, tid: 7475 },
      { index: 2, tid: 8096 },
    ]);
    expect(s.domain.vcpuCurrent).toBe(3);
    expect([...s.domain.intent.vcpupin.keys()]).toEqual([0, 1]);
  });

  it('reads probe2 and probe3', () => {
    const p2 = parseStatusXml(fixture('probe2.status.xml'));
    expect(p2).toMatchObject({ pid: 7543, domain: { name: 'probe2', iothreads: 1 } });
    expect(p2.domain.intent.iothreadpin).toEqual(new Map([[1, [1]]]));
    const p3 = parseStatusXml(fixture('probe3.status.xml'));
    expect(p3.vcpuPids.map((v) => v.tid)).toEqual([9484, 9485, 9545, 9546]);
    expect(p3.domain.extraQmpSockets).toEqual(['/run/qmp-extra/probe3-qmp2.sock']);
    expect(p3.monitorPath).toBe('/var/lib/libvirt/qemu/domain-3-probe3/monitor.sock');
  });

  describe('hostile or broken input', () => {
    const status = (attrs: string, inner: string): string =>
      `<domstatus ${attrs}>${inner}<domain type='kvm'><name>x</name></domain></domstatus>`;
    const ok = "state='running' reason='booted' pid='10'";
    it.each([
      ['a domain document', fixture('probe1.xml'), /root element is <domain>, expected <domstatus>/],
      ['no domain', `<domstatus ${ok}/>`, /<domstatus> has no <domain> child/],
      ['two domains', `<domstatus ${ok}><domain/><domain/></domstatus>`, /has 2 <domain> children/],
      ['pid not a number', status("state='running' reason='booted' pid='abc'", ''), /domstatus\/@pid is "abc": expected a decimal integer/],
      ['pid zero', status("state='running' reason='booted' pid='0'", ''), /domstatus\/@pid is 0, must be at least 1/],
      ['no pid', status("state='running' reason='booted'", ''), /has no pid= attribute/],
      ['no state', status("reason='booted' pid='1'", ''), /has no state= attribute/],
      ['vcpu pid garbage', status(ok, "<vcpus><vcpu id='0' pid='12x'/></vcpus>"), /domstatus\/vcpus\/vcpu\/@pid is "12x"/],
      ['duplicate vcpu id', status(ok, "<vcpus><vcpu id='0' pid='1'/><vcpu id='0' pid='2'/></vcpus>"), /lists id=0 twice/],
      ['monitor without path', status(ok, "<monitor type='unix'/>"), /<monitor> at domstatus\/monitor has no path= attribute/],
      ['garbage', '\u0000\u0001', /not well-formed XML/],
    ])('rejects %s', (_what, xml, re) => {
      expect(() => parseStatusXml(xml)).toThrow(re);
    });

    it('has a null monitorPath for a non-unix monitor, and no vCPU threads without <vcpus>', () => {
      const s = parseStatusXml(status(ok, "<monitor path='/dev/pts/3' type='pty'/>"));
      expect(s.monitorPath).toBeNull();
      expect(s.vcpuPids).toEqual([]);
    });

    it('copes with a very large <qemuCaps>', () => {
      const flags = Array.from({ length: 20_000 }, (_, i) => `<flag name='f${i}'/>`).join('');
      const s = parseStatusXml(status(ok, `<qemuCaps>${flags}</qemuCaps>`));
      expect(s.pid).toBe(10);
    });
  });
});
