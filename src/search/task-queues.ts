/**
 * The task queues, in one place. Workflows and LLM calls run on the control
 * queue; evaluations on the eval queue, polled by one worker per GPU machine.
 * A search config can name other queues (evaluation.taskQueue), defaulting to
 * EVAL_TASK_QUEUE: so these plain strings live in the pure core (no Temporal import).
 */
export const CONTROL_TASK_QUEUE = 'nas-control';
export const EVAL_TASK_QUEUE = 'nas-eval';
