// The scheduler events the agent enables, read in place from decoded records: field offsets come
// from each event's format file (format.ts), so nothing about the layout is assumed. Turns the
// page decoder's records into calls on a SchedHandler, one small sink object per CPU.
import { fieldOf, type EventFormat, type FieldFormat } from './format';
import type { RecordSink } from './page-decoder';

/** The events exact mode enables, by their tracefs names (events/sched/NAME). */
export const SCHED_EVENTS = ['sched_switch', 'sched_waking', 'sched_migrate_task'] as const;
export type SchedEventName = (typeof SCHED_EVENTS)[number];
export type SchedFormats = Readonly<Record<SchedEventName, EventFormat>>;

export interface SchedHandler {
  /** [0]: the time (ns) of the record being handled; the decoder writes it before each call. */
  readonly time: Float64Array;
  page(cpu: number, lost: number): void;
  /** `prevState` is the low 32 bits of prev_state: its task-state bits (the low 8) are 0 when the task stayed runnable (R; R+ when preempted). */
  switched(cpu: number, prevPid: number, prevState: number, nextPid: number, view: DataView, at: number): void;
  /** `targetCpu`: the CPU whose queue it wakes on unless a migration follows (task_cpu at the wake-up). */
  waking(cpu: number, pid: number, targetCpu: number): void;
  migrated(cpu: number, pid: number, origCpu: number, destCpu: number): void;
}

/** A string field: where its bytes are, given the record's start. */
export interface StringField {
  readonly offset: number;
  readonly size: number;
  readonly location: FieldFormat['location'];
}

export class SchedRecords {
  private readonly typeOffset: number;
  private readonly typeSize: number;
  readonly switchId: number;
  readonly wakingId: number;
  readonly migrateId: number;
  private readonly prevPid: number;
  private readonly prevState: number; // offset of its low 32 bits
  private readonly nextPid: number;
  readonly prevComm: StringField;
  readonly nextComm: StringField;
  private readonly wakingPid: number;
  private readonly wakingTarget: number;
  private readonly migratePid: number;
  private readonly origCpu: number;
  private readonly destCpu: number;

  constructor(
    formats: SchedFormats,
    readonly littleEndian: boolean,
  ) {
    const sw = formats.sched_switch;
    const common = fieldOf(sw, 'common_type');
    if (common.size !== 2 && common.size !== 4) throw new Error(`common_type of ${common.size} bytes is not supported`);
    this.typeOffset = common.offset;
    this.typeSize = common.size;
    this.switchId = sw.id;
    this.wakingId = formats.sched_waking.id;
    this.migrateId = formats.sched_migrate_task.id;
    this.prevPid = int32Field(sw, 'prev_pid');
    this.nextPid = int32Field(sw, 'next_pid');
    const state = fieldOf(sw, 'prev_state');
    if (state.size !== 4 && state.size !== 8) throw new Error(`sched_switch prev_state of ${state.size} bytes is not supported`);
    this.prevState = state.offset + (state.size === 8 && !littleEndian ? 4 : 0);
    this.prevComm = stringField(sw, 'prev_comm');
    this.nextComm = stringField(sw, 'next_comm');
    this.wakingPid = int32Field(formats.sched_waking, 'pid');
    this.wakingTarget = int32Field(formats.sched_waking, 'target_cpu');
    const mig = formats.sched_migrate_task;
    this.migratePid = int32Field(mig, 'pid');
    this.origCpu = int32Field(mig, 'orig_cpu');
    this.destCpu = int32Field(mig, 'dest_cpu');
  }

  /** The sink the page decoder of CPU `cpu` feeds. */
  sinkFor(cpu: number, handler: SchedHandler): RecordSink {
    const le = this.littleEndian;
    // Offsets as locals: the closure reads them without a property load per event.
    const { typeOffset, typeSize, switchId, wakingId, migrateId, prevPid, prevState, nextPid, wakingPid, wakingTarget, migratePid, origCpu, destCpu } = this;
    return {
      time: handler.time,
      page(lost) {
        handler.page(cpu, lost);
      },
      event(view, at) {
        const type = typeSize === 2 ? view.getUint16(at + typeOffset, le) : view.getUint32(at + typeOffset, le);
        if (type === switchId) {
          handler.switched(cpu, view.getInt32(at + prevPid, le), view.getUint32(at + prevState, le), view.getInt32(at + nextPid, le), view, at);
        } else if (type === wakingId) {
          handler.waking(cpu, view.getInt32(at + wakingPid, le), view.getInt32(at + wakingTarget, le));
        } else if (type === migrateId) {
          handler.migrated(cpu, view.getInt32(at + migratePid, le), view.getInt32(at + origCpu, le), view.getInt32(at + destCpu, le));
        }
      },
    };
  }

  /** The event's type id (common_type) of the record at `at`. */
  typeOf(view: DataView, at: number): number {
    return this.typeSize === 2 ? view.getUint16(at + this.typeOffset, this.littleEndian) : view.getUint32(at + this.typeOffset, this.littleEndian);
  }
}

/** A NUL-terminated string field of the record at `at` (comm: at most 16 bytes). */
export function readString(view: DataView, at: number, f: StringField, le: boolean): string {
  let start = at + f.offset;
  let max = f.size;
  if (f.location !== 'inline') {
    const word = view.getUint32(at + f.offset, le);
    start = (f.location === 'data-loc' ? at : at + f.offset + f.size) + (word & 0xffff);
    max = word >>> 16;
  }
  const end = Math.min(start + max, view.byteLength);
  let stop = start;
  while (stop < end && view.getUint8(stop) !== 0) stop++;
  // comm is bytes (prctl may set UTF-8); an invalid sequence becomes U+FFFD, never an error.
  return utf8.decode(new Uint8Array(view.buffer, view.byteOffset + start, stop - start));
}

const utf8 = new TextDecoder('utf-8');

function int32Field(format: EventFormat, name: string): number {
  const f = fieldOf(format, name);
  if (f.size !== 4 || f.location !== 'inline') throw new Error(`event ${format.name} field ${name}: ${f.size} bytes, expected a 4-byte integer`);
  return f.offset;
}

function stringField(format: EventFormat, name: string): StringField {
  const f = fieldOf(format, name);
  if (f.arrayLength === null && f.location === 'inline') throw new Error(`event ${format.name} field ${name} is not a string`);
  return { offset: f.offset, size: f.size, location: f.location };
}
