/**
 * The task queues, in one place. Workflows and LLM calls run on the control
 * queue; evaluations on the eval queue, polled by one worker per GPU machine.
 * A search config can name other queues (evaluation.taskQueue).
 */
export const CONTROL_TASK_QUEUE = 'nas-control';
export const EVAL_TASK_QUEUE = 'nas-eval';
