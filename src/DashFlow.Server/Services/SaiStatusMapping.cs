using DashFlow.Model;
using Grpc.Core;

namespace DashFlow.Server.Services;

/// <summary>Maps SAI statuses to gRPC statuses at the edge; the SAI value travels in the <c>sai-status</c> trailer.</summary>
public static class SaiStatusMapping
{
    /// <summary>The trailer that carries the SAI status value (decimal).</summary>
    public const string TrailerKey = "sai-status";

    /// <summary>The gRPC code for a SAI status.</summary>
    public static StatusCode ToStatusCode(SaiStatus status) => status.Split().Base switch
    {
        SaiStatus.Success => StatusCode.OK,
        SaiStatus.ItemNotFound or SaiStatus.AddrNotFound => StatusCode.NotFound,
        SaiStatus.ItemAlreadyExists => StatusCode.AlreadyExists,
        SaiStatus.TableFull or SaiStatus.InsufficientResources or SaiStatus.NoMemory or SaiStatus.NvStorageFull => StatusCode.ResourceExhausted,
        SaiStatus.NotSupported or SaiStatus.NotImplemented or SaiStatus.AttrNotSupported0 or SaiStatus.AttrNotImplemented0 => StatusCode.Unimplemented,
        SaiStatus.ObjectInUse or SaiStatus.Uninitialized or SaiStatus.NotExecuted or SaiStatus.StageMismatch => StatusCode.FailedPrecondition,
        SaiStatus.InvalidParameter or SaiStatus.InvalidAttribute0 or SaiStatus.InvalidAttrValue0 or SaiStatus.UnknownAttribute0
            or SaiStatus.MandatoryAttributeMissing or SaiStatus.InvalidObjectId or SaiStatus.InvalidObjectType
            or SaiStatus.BufferOverflow => StatusCode.InvalidArgument,
        _ => StatusCode.Internal,
    };

    /// <summary>Throws the mapped <see cref="RpcException"/> unless <paramref name="status"/> is SUCCESS.</summary>
    public static void ThrowIfFailed(SaiStatus status, string operation)
    {
        if (status != SaiStatus.Success)
        {
            throw ToException(status, operation);
        }
    }

    /// <summary>The exception for a failed SAI call: the code, "operation: SAI_STATUS_X" and the trailer.</summary>
    public static RpcException ToException(SaiStatus status, string operation) =>
        new(new Status(ToStatusCode(status), $"{operation}: {status.Describe()}"),
            new Metadata { { TrailerKey, ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture) } });

    /// <summary>Reads the SAI status of a failed call from its trailers, if the agent sent one.</summary>
    public static SaiStatus? FromException(RpcException exception)
    {
        string? value = exception.Trailers.GetValue(TrailerKey);
        return value is not null && int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int code)
            ? (SaiStatus)code
            : null;
    }
}
