/**
 * A fixed set of device slots (one per GPU, say). The eval worker runs at
 * most one evaluation per slot at a time and tells each evaluation which
 * device it owns, so two trainings never share a GPU.
 */
export class DeviceSlots {
  private readonly free: string[];
  private readonly waiting: ((device: string) => void)[] = [];

  constructor(readonly devices: readonly string[]) {
    if (devices.length === 0) throw new Error('devices: at least one device slot is needed, e.g. "cuda:0" or "cpu"');
    this.free = devices.slice();
  }

  acquire(): Promise<string> {
    const device = this.free.shift();
    if (device !== undefined) return Promise.resolve(device);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(device: string): void {
    const next = this.waiting.shift();
    if (next) next(device);
    else this.free.push(device);
  }
}
