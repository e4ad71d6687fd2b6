using System.Runtime.CompilerServices;
using DashFlow.Model;

namespace DashFlow.Engine;

/// <summary>Field-by-field equality and a cheap multiplicative hash for interning rewrites, all by reference.</summary>
internal static class RewriteComparer
{
    private static readonly FlowRewrite s_default = default;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsDefault(in FlowRewrite r) => Same(in r, in s_default);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Same(in FlowRewrite x, in FlowRewrite y) =>
        Same(in x.Underlay0, in y.Underlay0) && Same(in x.Overlay, in y.Overlay) && Same(in x.Underlay1, in y.Underlay1);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Hash(in FlowRewrite r)
    {
        ulong h = Mix(0, r.Underlay0.Dip.Low ^ ((ulong)r.Underlay0.VnetId << 32));
        h = Mix(h, r.Underlay0.Dmac.Value ^ r.Underlay0.Sip.Low);
        h = Mix(h, r.Overlay.DstMac.Value ^ r.Overlay.Sip.Low);
        h = Mix(h, r.Overlay.Dip.Low ^ r.Underlay1.Dip.Low ^ r.Underlay0.Dip.High);
        return (uint)(h ^ (h >> 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h, ulong v) => ((h ^ v) * 0x9E3779B97F4A7C15UL) + 0x632BE59BD9B4E019UL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Same(in IpAddress a, in IpAddress b) => a.Low == b.Low && a.High == b.High && a.IsV6 == b.IsV6;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Same(in UnderlayEncap a, in UnderlayEncap b) =>
        a.VnetId == b.VnetId && a.Encapsulation == b.Encapsulation && a.Smac.Value == b.Smac.Value && a.Dmac.Value == b.Dmac.Value
        && Same(in a.Sip, in b.Sip) && Same(in a.Dip, in b.Dip);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Same(in OverlayRewrite a, in OverlayRewrite b) =>
        a.DstMac.Value == b.DstMac.Value && Same(in a.Sip, in b.Sip) && Same(in a.Dip, in b.Dip)
        && Same(in a.SipMask, in b.SipMask) && Same(in a.DipMask, in b.DipMask);
}
