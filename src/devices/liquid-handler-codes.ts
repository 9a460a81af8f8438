/**
 * Vendor codes a liquid handler attaches to some failures (`Failure.vendorCode`), which the frontend interprets.
 * A real instrument's backend maps its own error numbers onto these.
 */
export const LIQUID_HANDLER_VENDOR_CODES = {
  /**
   * A clot while dispensing into a target (a cell or well), not while aspirating a stock: the liquid already in the
   * target has precipitated. The cause is the sample, so the frontend reports it as the chemistry failure
   * PRECIPITATION (never retried, never counted against the station).
   */
  clotAtTarget: 'CLOT_AT_TARGET',
  /** No tip mounted where one is needed (refused before motion). */
  noTip: 'NO_TIP',
  /** A tip holding liquid of one source was asked to take up another. */
  mixedTip: 'MIXED_TIP',
  /** The channel index does not exist on this instrument. */
  badChannel: 'BAD_CHANNEL',
  /** The location cannot receive liquid. */
  badTarget: 'BAD_TARGET',
  /** A commandId was reused for a different command. */
  commandIdReused: 'COMMAND_ID_REUSED',
} as const;
