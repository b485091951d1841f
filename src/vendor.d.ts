// Minimal declarations for the two untyped runtime dependencies. They stay internal:
// no public type of twofold mentions them.

declare module 'thirty-two' {
  export function encode(plain: Uint8Array | string): Uint8Array;
  export function decode(encoded: string): Uint8Array;
}

declare module 'qrcode-svg' {
  interface QRCodeOptions {
    content: string;
    padding?: number;
    width?: number;
    height?: number;
    color?: string;
    background?: string;
    ecl?: 'L' | 'M' | 'Q' | 'H';
    join?: boolean;
    swap?: boolean;
    pretty?: boolean;
    xmlDeclaration?: boolean;
    container?: 'svg' | 'svg-viewbox' | 'g' | 'none';
    predefined?: boolean;
  }
  class QRCode {
    constructor(options: QRCodeOptions | string);
    svg(options?: { container?: string }): string;
    qrcode: { modules: boolean[][]; moduleCount: number };
  }
  export = QRCode;
}
