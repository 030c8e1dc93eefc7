/* One thread that resumes suspended connections (and runs HTTP/2's delayed answers) when
 * their wait is over, so thousands of delayed requests cost a heap entry each, not a thread. */
#ifndef STATUSD_TIMER_H
#define STATUSD_TIMER_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock. */
uint64_t now_ms(void);
/* Microseconds on the monotonic clock, for durations in the access log. */
uint64_t now_us(void);

/* Starts the thread; tick (may be NULL) runs on it four times a second. */
bool timer_start(void (*tick)(void));
/* Resumes every waiting connection and joins the thread. */
void timer_stop(void);

/* Resumes connection, which the caller has just suspended, at deadline (now_us() time:
 * microseconds, so a delay is never cut short by rounding). False if out of memory: the
 * caller resumes it at once instead. */
bool timer_resume_at(struct MHD_Connection *connection, uint64_t deadline_us);

/* Resumes every due wait that this thread scheduled (one libmicrohttpd thread's): called by
 * a resumed connection on that thread, so that a burst of waits ending together is handed
 * over in one batch (timer.c explains why). */
void timer_release_due(void);

/* Calls call(argument) on the timer thread at deadline (now_us() time), or at once at
 * shutdown. call must not block: every other wait is behind it. False if out of memory. */
bool timer_call_at(uint64_t deadline_us, void (*call)(void *argument), void *argument);

/* Shutdown: every wait, pending or future, ends now. */
void timer_expire_all(void);
/* True once timer_expire_all() was called: trickled bodies finish at once. */
bool timer_shutting_down(void);

#endif
