import { describe, expect, it } from 'vitest';
import { fieldOf, parseEventFormat, parseFieldLine, parseHeaderEvent, parseHeaderPage } from './format';
import { fixtureText } from '../../test/support/tracefs-fixtures';

describe('parseEventFormat', () => {
  it('reads sched_switch as this kernel lays it out', () => {
    const f = parseEventFormat(fixtureText('sched_switch.format'));
    expect(f.name).toBe('sched_switch');
    expect(f.id).toBe(372);
    expect(fieldOf(f, 'common_type')).toMatchObject({ offset: 0, size: 2, signed: false });
    expect(fieldOf(f, 'prev_comm')).toMatchObject({ offset: 8, size: 16, arrayLength: 16, location: 'inline', type: 'char[16]' });
    expect(fieldOf(f, 'prev_state')).toMatchObject({ offset: 32, size: 8, signed: true });
    expect(fieldOf(f, 'next_pid')).toMatchObject({ offset: 56, size: 4, signed: true, type: 'pid_t' });
    expect(f.printFmt).toContain('{ 0x00000001, "S" }');
  });

  it('reads a __data_loc string (sched_migrate_task on Linux 6.18)', () => {
    const f = parseEventFormat(fixtureText('sched_migrate_task.format'));
    expect(fieldOf(f, 'comm')).toMatchObject({ offset: 8, size: 4, location: 'data-loc', arrayLength: 0 });
    expect(fieldOf(f, 'dest_cpu').offset).toBe(24);
  });

  it('reads __rel_loc and names the missing field', () => {
    expect(parseFieldLine('field:__rel_loc char[] name;\toffset:12;\tsize:4;\tsigned:0;').location).toBe('rel-loc');
    const f = parseEventFormat(fixtureText('sched_waking.format'));
    expect(() => fieldOf(f, 'next_pid')).toThrow('event sched_waking has no field "next_pid"');
  });

  it('refuses what it does not understand', () => {
    expect(() => parseEventFormat('name: x\nID: 1\nformat:\n\tfield:int a;\toffset:z;\tsize:4;')).toThrow('offset is not a number');
    expect(() => parseEventFormat('ID: 1\n')).toThrow('no "name:" line');
    expect(() => parseEventFormat('name: x\nformat:\n')).toThrow('no "ID:" line');
    expect(() => parseEventFormat('name: x\nID: 2\nsomething else\n')).toThrow('unexpected line');
  });
});

describe('header_page and header_event', () => {
  it('give the page and record layout', () => {
    expect(parseHeaderPage(fixtureText('header_page'))).toEqual({
      timestampOffset: 0,
      timestampSize: 8,
      commitOffset: 8,
      commitSize: 8,
      dataOffset: 16,
      pageSize: 4096,
    });
    expect(parseHeaderEvent(fixtureText('header_event'))).toEqual({
      typeLenBits: 5,
      timeDeltaBits: 27,
      padding: 29,
      timeExtend: 30,
      timeStamp: 31,
      dataMaxTypeLen: 28,
    });
  });

  it('reads a 32-bit kernel header and refuses a broken one', () => {
    const h = parseHeaderPage('\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;\n\tfield: char data;\toffset:12;\tsize:4084;\tsigned:0;\n');
    expect(h).toMatchObject({ commitSize: 4, dataOffset: 12, pageSize: 4096 });
    expect(() => parseHeaderPage('\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n')).toThrow('no "commit" field');
    expect(() => parseHeaderEvent('type_len : 5 bits\n')).toThrow('header_event');
    expect(() => parseHeaderEvent(fixtureText('header_event').replace('27 bits', '26 bits'))).toThrow('not one 32-bit word');
  });
});
