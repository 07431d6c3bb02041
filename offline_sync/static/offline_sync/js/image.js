// Photos are shrunk in the browser to at most 800×600 (either orientation) before they are
// stored or sent, and signatures are drawn on a canvas; both end up as image Blobs.

export const MAX_LONG_SIDE = 800;
export const MAX_SHORT_SIDE = 600;

export function fitWithin(width, height, longSide = MAX_LONG_SIDE, shortSide = MAX_SHORT_SIDE) {
  const [maxWidth, maxHeight] = width >= height ? [longSide, shortSide] : [shortSide, longSide];
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

function canvasToBlob(canvas, type, quality) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("toBlob failed"))), type, quality);
  });
}

export async function resizePhoto(file, { longSide = MAX_LONG_SIDE, shortSide = MAX_SHORT_SIDE } = {}) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const size = fitWithin(bitmap.width, bitmap.height, longSide, shortSide);
  const canvas = document.createElement("canvas");
  canvas.width = size.width;
  canvas.height = size.height;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, size.width, size.height);
  context.drawImage(bitmap, 0, 0, size.width, size.height);
  bitmap.close();
  const blob = await canvasToBlob(canvas, "image/jpeg", 0.8);
  return { blob, ...size };
}

// A signature pad on a canvas: pointer events (finger, stylus, mouse), a white background.
export class SignaturePad {
  constructor(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.isEmpty = true;
    this.drawing = false;
    this.clear();
    canvas.addEventListener("pointerdown", (event) => this.start(event));
    canvas.addEventListener("pointermove", (event) => this.move(event));
    for (const name of ["pointerup", "pointercancel", "pointerleave"]) {
      canvas.addEventListener(name, () => {
        this.drawing = false;
      });
    }
  }

  point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * this.canvas.width) / rect.width,
      y: ((event.clientY - rect.top) * this.canvas.height) / rect.height,
    };
  }

  start(event) {
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    this.drawing = true;
    this.last = this.point(event);
  }

  move(event) {
    if (!this.drawing) return;
    event.preventDefault();
    const next = this.point(event);
    const context = this.context;
    context.strokeStyle = "#111";
    context.lineWidth = 3;
    context.lineCap = "round";
    context.beginPath();
    context.moveTo(this.last.x, this.last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    this.last = next;
    this.isEmpty = false;
  }

  clear() {
    this.context.fillStyle = "#fff";
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.isEmpty = true;
  }

  toBlob() {
    return canvasToBlob(this.canvas, "image/png");
  }
}
