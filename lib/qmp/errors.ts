// Error classes of the QMP client. Distinct classes so callers can tell "try again later"
// (busy, timeout) from "this VM has no usable monitor" (gone, refused) from bugs (protocol).

export class QmpError extends Error {
  override name = 'QmpError';
}

/** The peer sent something that is not QMP (bad JSON, unknown message shape, oversized line). */
export class QmpProtocolError extends QmpError {
  override name = 'QmpProtocolError';
}

/** connect() succeeded but no greeting came: QEMU is serving another client (usually libvirt). */
export class QmpBusyError extends QmpError {
  override name = 'QmpBusyError';
}

/** A command (or the capabilities handshake) got no reply in time; the client is closed. */
export class QmpTimeoutError extends QmpError {
  override name = 'QmpTimeoutError';
}

/** The connection is closed (by us, by QEMU, or after an earlier fatal error). */
export class QmpClosedError extends QmpError {
  override name = 'QmpClosedError';
}

/** The socket could not be opened at all (ENOENT, ECONNREFUSED, EACCES, ...). */
export class QmpConnectError extends QmpError {
  override name = 'QmpConnectError';
}

/** The command is not in the read-only allowlist; nothing was sent. */
export class QmpCommandNotAllowedError extends QmpError {
  override name = 'QmpCommandNotAllowedError';
}

/** QEMU answered with `{"error": {"class", "desc"}}`. */
export class QmpCommandError extends QmpError {
  override name = 'QmpCommandError';
  constructor(
    message: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(message);
  }
}
