package io.tasker.protocol;

/** No schedule exists with the given id. */
public final class ScheduleNotFoundException extends TaskerException {
  private final String scheduleId;

  /** @param scheduleId the id that was asked for */
  public ScheduleNotFoundException(String scheduleId) {
    super(ErrorCode.SCHEDULE_NOT_FOUND, "no schedule with id " + scheduleId);
    this.scheduleId = scheduleId;
  }

  /** @return the id that was asked for */
  public String scheduleId() {
    return scheduleId;
  }
}
