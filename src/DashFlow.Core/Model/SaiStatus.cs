namespace DashFlow.Model;

/// <summary>SAI status codes with their SAI numeric values (saistatus.h, *nix convention: negative codes).</summary>
public enum SaiStatus
{
    Success = 0,
    Failure = -1,
    NotSupported = -2,
    NoMemory = -3,
    InsufficientResources = -4,
    InvalidParameter = -5,
    ItemAlreadyExists = -6,
    ItemNotFound = -7,
    BufferOverflow = -8,
    InvalidPortNumber = -9,
    InvalidPortMember = -10,
    InvalidVlanId = -11,
    Uninitialized = -12,
    TableFull = -13,
    MandatoryAttributeMissing = -14,
    NotImplemented = -15,
    AddrNotFound = -16,
    ObjectInUse = -17,
    InvalidObjectType = -18,
    InvalidObjectId = -19,
    InvalidNvStorage = -20,
    NvStorageFull = -21,
    SwUpgradeVersionMismatch = -22,
    NotExecuted = -23,
    StageMismatch = -24,

    /// <summary>INVALID_ATTRIBUTE_0; add the attribute's index in the caller's list.</summary>
    InvalidAttribute0 = -0x10000,

    /// <summary>INVALID_ATTR_VALUE_0; add the attribute's index.</summary>
    InvalidAttrValue0 = -0x20000,

    /// <summary>ATTR_NOT_IMPLEMENTED_0; add the attribute's index.</summary>
    AttrNotImplemented0 = -0x30000,

    /// <summary>UNKNOWN_ATTRIBUTE_0; add the attribute's index.</summary>
    UnknownAttribute0 = -0x40000,

    /// <summary>ATTR_NOT_SUPPORTED_0; add the attribute's index.</summary>
    AttrNotSupported0 = -0x50000,
}

/// <summary>Builds and reads the per-attribute SAI status ranges (each 0x10000 wide).</summary>
public static class SaiStatuses
{
    private const int RangeWidth = 0x10000;

    /// <summary>INVALID_ATTRIBUTE_0 + index (read-only, duplicate or misplaced attribute).</summary>
    public static SaiStatus InvalidAttribute(int index) => SaiStatus.InvalidAttribute0 - index;

    /// <summary>INVALID_ATTR_VALUE_0 + index.</summary>
    public static SaiStatus InvalidAttrValue(int index) => SaiStatus.InvalidAttrValue0 - index;

    /// <summary>ATTR_NOT_IMPLEMENTED_0 + index.</summary>
    public static SaiStatus AttrNotImplemented(int index) => SaiStatus.AttrNotImplemented0 - index;

    /// <summary>UNKNOWN_ATTRIBUTE_0 + index.</summary>
    public static SaiStatus UnknownAttribute(int index) => SaiStatus.UnknownAttribute0 - index;

    /// <summary>ATTR_NOT_SUPPORTED_0 + index.</summary>
    public static SaiStatus AttrNotSupported(int index) => SaiStatus.AttrNotSupported0 - index;

    /// <summary>True when the status is SUCCESS.</summary>
    public static bool IsSuccess(this SaiStatus status) => status == SaiStatus.Success;

    /// <summary>For a ranged status, its base (e.g. INVALID_ATTR_VALUE_0) and the attribute index; otherwise the status and -1.</summary>
    public static (SaiStatus Base, int AttributeIndex) Split(this SaiStatus status)
    {
        int code = (int)status;
        if (code > -RangeWidth)
        {
            return (status, -1);
        }

        int magnitude = -code;
        int rangeBase = magnitude / RangeWidth * RangeWidth;
        return ((SaiStatus)(-rangeBase), magnitude - rangeBase);
    }

    /// <summary>The SAI name, with the attribute index for ranged codes, e.g. <c>SAI_STATUS_INVALID_ATTR_VALUE_0+3</c>.</summary>
    public static string Describe(this SaiStatus status)
    {
        var (rangeBase, index) = status.Split();
        string name = rangeBase switch
        {
            SaiStatus.InvalidAttribute0 => "INVALID_ATTRIBUTE_0",
            SaiStatus.InvalidAttrValue0 => "INVALID_ATTR_VALUE_0",
            SaiStatus.AttrNotImplemented0 => "ATTR_NOT_IMPLEMENTED_0",
            SaiStatus.UnknownAttribute0 => "UNKNOWN_ATTRIBUTE_0",
            SaiStatus.AttrNotSupported0 => "ATTR_NOT_SUPPORTED_0",
            _ when Enum.IsDefined(rangeBase) => ToUpperSnake(rangeBase.ToString()),
            _ => ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return index >= 0 ? $"SAI_STATUS_{name}+{index}" : $"SAI_STATUS_{name}";
    }

    private static string ToUpperSnake(string pascal)
    {
        var builder = new System.Text.StringBuilder(pascal.Length + 8);
        for (int i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i]))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(pascal[i]));
        }

        return builder.ToString();
    }
}
